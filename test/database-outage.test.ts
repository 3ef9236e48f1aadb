import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import twilio from 'twilio'
import { exampleJsonBody } from '../src/console/example-bodies.js'
import { DEFAULT_PRICE_LIST_PATH } from '../src/config/environment.js'
import { loadPriceList } from '../src/pricing/price-list.js'
import {
  startServiceProcess,
  type ServiceProcess,
} from './support/service-process.js'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js'
import {
  createServerDatabase,
  dropServerDatabase,
} from './support/test-database.js'
import { TEST_SECRET, waitFor } from './support/test-service.js'
import { incomingTextParams, TWILIO_TOKEN } from './support/twilio-callbacks.js'

/** One answer of the events door, as the sender saw it. */
interface Answer {
  eventId: string
  status: number
  retryAfter: string | null
  contentType: string | null
  /** Why no answer came, when none did. */
  cause?: Error | undefined
}

/** Sends events with fresh ids, a few at a time, until told to stop. */
class EventSender {
  readonly answers: Answer[] = []
  private running = true
  private next = 0
  private readonly lanes: Promise<void>[]

  constructor(
    private readonly origin: string,
    lanes: number,
  ) {
    this.lanes = Array.from({ length: lanes }, () => this.lane())
  }

  answersSince(index: number): Answer[] {
    return this.answers.slice(index)
  }

  async stop(): Promise<Answer[]> {
    this.running = false
    await Promise.all(this.lanes)

    return this.answers
  }

  private async lane() {
    while (this.running) {
      const eventId = `outage-${(this.next += 1)}`
      this.answers.push(await this.send(eventId))
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  private async send(eventId: string): Promise<Answer> {
    try {
      return await this.post(eventId)
    } catch (error) {
      // No answer at all: a dropped connection, never an acknowledgement.
      const cause = (error as Error & { cause?: Error }).cause

      return { eventId, status: 0, retryAfter: null, contentType: null, cause }
    }
  }

  private async post(eventId: string): Promise<Answer> {
    const response = await fetch(`${this.origin}/webhooks/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-webhook-secret': TEST_SECRET,
      },
      body: JSON.stringify({ event_type: 'quote.sent', event_id: eventId }),
    })
    await response.arrayBuffer()

    return {
      eventId,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      contentType: response.headers.get('content-type'),
    }
  }
}

async function storedEventIds(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const result = await client.query<{ event_id: string }>(
      "select event_id from activity_events where door = 'webhooks.events'",
    )

    return result.rows.map((row) => row.event_id)
  } finally {
    await client.end()
  }
}

/** A quote request, the same each time it is sent. */
const QUOTE_BODY = exampleJsonBody(
  'api.pricing.quote',
  loadPriceList(DEFAULT_PRICE_LIST_PATH),
)!

async function sendQuote(origin: string) {
  return fetch(`${origin}/api/pricing/quote`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': 'quote-through-the-outage',
    },
    body: QUOTE_BODY,
  })
}

async function sendText(origin: string) {
  const url = `${origin}/webhooks/twilio/sms/inbound`
  const params = incomingTextParams({ MessageSid: 'SMoutage0001' })

  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(
        TWILIO_TOKEN,
        url,
        params,
      ),
    },
    body: new URLSearchParams(params).toString(),
  })
}

/** Each of these doors answers 503 with Retry-After, as a problem. */
async function assertOtherDoorsRefuse(origin: string) {
  for (const response of [await sendQuote(origin), await sendText(origin)]) {
    const what = new URL(response.url).pathname
    assert.equal(response.status, 503, `${what} during the outage`)
    assert.ok(response.headers.get('retry-after'), `${what}: Retry-After`)
    assert.match(
      response.headers.get('content-type') ?? '',
      /^application\/problem\+json/,
    )
    await response.arrayBuffer()
  }
}

async function readiness(origin: string): Promise<number> {
  const response = await fetch(`${origin}/readyz`)
  await response.arrayBuffer()

  return response.status
}

describe('a database outage while events arrive', () => {
  let databaseUrl: string
  let proxy: TcpProxy
  let service: ServiceProcess
  let dataDir: string

  before(async () => {
    databaseUrl = await createServerDatabase()
    const server = new URL(databaseUrl)
    proxy = await startTcpProxy({
      host: server.hostname,
      port: Number(server.port || 5432),
    })
    const throughProxy = new URL(databaseUrl)
    throughProxy.host = `127.0.0.1:${proxy.port}`
    dataDir = await mkdtemp(path.join(tmpdir(), 'pressos-outage-'))
    service = await startServiceProcess({
      DATABASE_URL: throughProxy.toString(),
      DATA_DIR: dataDir,
      WEBHOOK_SECRET: TEST_SECRET,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    })
  })

  after(async () => {
    await service?.stop()
    await proxy?.close()
    if (databaseUrl) await dropServerDatabase(databaseUrl)
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('answers 503, stays up, loses nothing and recovers', async () => {
    const sender = new EventSender(service.origin, 4)
    let answers: Answer[]
    try {
      await playOutage(sender, service.origin, proxy)
    } finally {
      answers = await sender.stop()
    }

    assert.equal(service.child.exitCode, null, 'the process is still up')
    const refused = answers.filter((a) => a.status !== 202)
    for (const answer of refused) {
      assert.equal(answer.status, 503, `${answer.eventId} got ${answer.status}`)
      assert.ok(answer.retryAfter, `${answer.eventId} had no Retry-After`)
      assert.match(answer.contentType ?? '', /^application\/problem\+json/)
    }

    const stored = await storedEventIds(databaseUrl)
    const acknowledged = answers
      .filter((a) => a.status === 202)
      .map((a) => a.eventId)
    const missing = acknowledged.filter((id) => !stored.includes(id))
    assert.deepEqual(missing, [], 'acknowledged events missing from the log')
    assert.equal(new Set(stored).size, stored.length, 'an event was doubled')

    // Every connection came back to the pool: the shutdown closes it.
    await service.stop()
    assert.equal(await service.exited, 0, service.logged.join('\n'))
    assert.ok(service.logged.some((line) => line.includes('database closed')))
  })
})

/** Cuts the database under a steady flow of events, then brings it back. */
async function playOutage(
  sender: EventSender,
  origin: string,
  proxy: TcpProxy,
) {
  await waitFor(
    async () => sender.answers.some((a) => a.status === 202),
    'events to be stored before the outage',
  )

  await proxy.cut()
  const cutAt = sender.answers.length
  await waitFor(
    async () => sender.answersSince(cutAt).some((a) => a.status === 503),
    'the events door to answer 503 during the outage',
  )
  assert.equal(await readiness(origin), 503, '/readyz during the outage')
  await assertOtherDoorsRefuse(origin)
  // Keep the database away while more events arrive and are refused.
  await new Promise((resolve) => setTimeout(resolve, 1_500))

  await proxy.restore()
  const restoredAt = sender.answers.length
  await waitFor(
    async () => sender.answersSince(restoredAt).some((a) => a.status === 202),
    'events to be stored again once the database is back',
    20_000,
  )
  await waitFor(
    async () => (await readiness(origin)) === 200,
    '/readyz to report ready again',
  )
  // What was refused during the outage goes through once it is over.
  assert.equal((await sendQuote(origin)).status, 201, 'the quote, resent')
  assert.equal((await sendText(origin)).status, 200, 'the text, resent')
}
