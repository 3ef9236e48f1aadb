import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import {
  startServiceProcess,
  type ServiceProcess,
} from './support/service-process.js'
import {
  createServerDatabase,
  dropServerDatabase,
} from './support/test-database.js'
import { TEST_SECRET, waitFor } from './support/test-service.js'

const PRICING_SECRET = 'two-processes-pricing-5a7e'
const INSIGHT_SECRET = 'two-processes-insight-c21f'

/** Copies of each request, sent at once, half through each process. */
const COPIES = 24

/** Different events (or keys) each scenario sends its copies of. */
const KEYS = 4

/** What one process answered to one copy. */
interface Answer {
  status: number
  replayed: boolean
  body: any
}

type Send = (origin: string) => Promise<Answer>

/** Sends `COPIES` copies of a request at once, alternating processes. */
async function fireAtOnce(
  services: ServiceProcess[],
  send: Send,
): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: COPIES }, (_, i) =>
      send(services[i % services.length]!.origin),
    ),
  )
}

/** Fires `KEYS` requests' copies all at the same time. */
async function fireEveryKey(
  services: ServiceProcess[],
  sendFor: (key: number) => Send,
): Promise<Answer[][]> {
  return Promise.all(
    Array.from({ length: KEYS }, (_, key) =>
      fireAtOnce(services, sendFor(key)),
    ),
  )
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })

  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    body: await response.json(),
  }
}

function hmac(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')
}

function eventBody(fields: Record<string, unknown>): string {
  return JSON.stringify({
    event_type: 'mockup.rejected',
    work_order_id: 'WO-8800',
    data: { feedback: 'Move the logo up an inch' },
    ...fields,
  })
}

const sendEvent =
  (body: string, headers: Record<string, string> = {}): Send =>
  (origin) =>
    post(`${origin}/webhooks/events`, body, {
      'x-webhook-secret': TEST_SECRET,
      ...headers,
    })

function quoteBody(key: number): string {
  return JSON.stringify({
    customer: 'Lincoln High Boosters',
    reference: `MD-55${key}`,
    source: 'mockupdesk',
    items: [
      {
        style: 'Independent SS4500',
        colour: 'Black',
        dark: true,
        blank_cost_cents: 1000,
        sizes: { M: 10, L: 12 + key },
        locations: [{ name: 'front', colours: 2 }],
      },
    ],
  })
}

const sendQuote =
  (body: string, idempotencyKey: string): Send =>
  (origin) =>
    post(`${origin}/api/pricing/quote`, body, {
      'idempotency-key': idempotencyKey,
      'x-pressos-signature': hmac(PRICING_SECRET, body),
    })

function insightBody(key: number): string {
  return JSON.stringify({
    title: `Reorder navy blanks for Lincoln High, batch ${key}`,
    source: 'printbrain',
    confidence: 0.9,
    kind: 'inventory',
    tags: ['blanks'],
  })
}

const sendInsight =
  (body: string, idempotencyKey: string): Send =>
  (origin) =>
    post(`${origin}/api/inbox/insights`, body, {
      'idempotency-key': idempotencyKey,
      'x-signature': hmac(INSIGHT_SECRET, body),
    })

/**
 * The events door stores a repeat once and says so: every copy is
 * acknowledged with the same event, and exactly one of them stored it.
 */
function assertOneEventStored(answers: Answer[]) {
  const statuses = answers.map((answer) => answer.status)
  assert.deepEqual(new Set(statuses), new Set([202]), `${statuses}`)
  const ids = new Set(answers.map((answer) => answer.body.id))
  assert.equal(ids.size, 1, `every copy names one event, got ${[...ids]}`)
  const firsts = answers.filter((answer) => !answer.body.duplicate)
  assert.equal(firsts.length, 1, 'exactly one copy stored the event')
  assert.equal(firsts[0]!.body.follow_ups_queued, 1)
}

/**
 * An idempotent door runs once per key: one answer that ran, the others
 * replays of that same answer or 409 while it was running.
 */
function assertRanOnce(answers: Answer[], status: number) {
  const ran = answers.filter((a) => a.status === status && !a.replayed)
  assert.equal(ran.length, 1, `one copy ran: ${listAnswers(answers)}`)
  for (const answer of answers) {
    if (answer.status === 409) {
      assert.match(answer.body.type, /idempotency-key-in-use$/)
      continue
    }
    assert.equal(answer.status, status, listAnswers(answers))
    assert.deepEqual(answer.body, ran[0]!.body, 'a replay is the same answer')
  }
}

function listAnswers(answers: Answer[]): string {
  return answers
    .map((a) => `${a.status}${a.replayed ? ' (replayed)' : ''}`)
    .join(', ')
}

/** How many answers ran, were replayed and were told to wait. */
function tally(answers: Answer[]): string {
  const ran = answers.filter((a) => a.status < 300 && !a.replayed).length
  const replayed = answers.filter((a) => a.replayed).length
  const waiting = answers.filter((a) => a.status === 409).length

  return `${ran} ran, ${replayed} replayed, ${waiting} answered 409`
}

async function count(client: pg.Client, text: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::int as n from ${text}`,
  )

  return rows[0]!.n
}

describe('two service processes on one PostgreSQL database', () => {
  let databaseUrl: string
  let dataDir: string
  let db: pg.Client
  const services: ServiceProcess[] = []

  before(async () => {
    databaseUrl = await createServerDatabase()
    dataDir = await mkdtemp(path.join(tmpdir(), 'pressos-two-'))
    const env = {
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      WEBHOOK_SECRET: TEST_SECRET,
      PRESSOS_PRICING_HMAC_SECRET: PRICING_SECRET,
      PRINTBRAIN_WEBHOOK_SECRET: INSIGHT_SECRET,
      PUSH_NTFY_URL: '',
    }
    // Both at once, on an empty database: they race to set it up.
    services.push(
      ...(await Promise.all([
        startServiceProcess(env),
        startServiceProcess(env),
      ])),
    )
    db = new pg.Client({ connectionString: databaseUrl })
    await db.connect()
  })

  after(async () => {
    await db?.end()
    await Promise.all(services.map((service) => service.stop()))
    if (databaseUrl) await dropServerDatabase(databaseUrl)
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('stores an event sent to both at once once, by its event_id', async () => {
    const answers = await fireEveryKey(services, (key) =>
      sendEvent(eventBody({ event_id: `both-${key}` })),
    )

    answers.forEach(assertOneEventStored)
    const stored = await count(
      db,
      `activity_events where event_id like 'both-%'`,
    )
    assert.equal(stored, KEYS)
  })

  it('stores an event sent with one Idempotency-Key to both once', async () => {
    const keys = Array.from({ length: KEYS }, () => randomUUID())
    const answers = await fireEveryKey(services, (key) =>
      sendEvent(eventBody({ data: { feedback: `key ${key}` } }), {
        'idempotency-key': keys[key]!,
      }),
    )

    answers.forEach(assertOneEventStored)
    const stored = await count(
      db,
      `activity_events where dedupe_key in (${keys
        .map((key) => `'idempotency-key:webhooks.events:${key}'`)
        .join(',')})`,
    )
    assert.equal(stored, KEYS)
  })

  it('runs each stored event its follow-up rule once, in one process', async () => {
    await waitFor(
      async () =>
        (await count(db, `rule_runs where status <> 'done'`)) === 0 &&
        (await count(db, 'rule_runs')) === 2 * KEYS,
      'the follow-up rule runs to finish',
    )

    assert.equal(await count(db, `rule_runs where attempts <> 1`), 0)
    const { rows } = await db.query<{ event_id: string; items: number }>(
      `select r.event_id, count(i.id)::int as items
       from rule_runs r left join inbox_items i on i.rule_run_id = r.id
       group by r.event_id having count(i.id) <> 1`,
    )
    assert.deepEqual(rows, [], 'one inbox item per event')
  })

  it('prices a quote sent to both with one Idempotency-Key once', async (t) => {
    const keys = Array.from({ length: KEYS }, () => randomUUID())
    const answers = await fireEveryKey(services, (key) =>
      sendQuote(quoteBody(key), keys[key]!),
    )

    for (const copies of answers) assertRanOnce(copies, 201)
    t.diagnostic(tally(answers.flat()))
    assert.equal(await count(db, 'pricing_quotes'), KEYS)
    assert.equal(
      await count(db, `activity_events where event_type = 'quote.generated'`),
      KEYS,
    )
  })

  it('puts an insight sent to both with one Idempotency-Key in the inbox once', async (t) => {
    const keys = Array.from({ length: KEYS }, () => randomUUID())
    const answers = await fireEveryKey(services, (key) =>
      sendInsight(insightBody(key), keys[key]!),
    )

    for (const copies of answers) assertRanOnce(copies, 201)
    t.diagnostic(tally(answers.flat()))
    assert.equal(
      await count(db, `inbox_items where title like 'Reorder navy blanks%'`),
      KEYS,
    )
  })
})
