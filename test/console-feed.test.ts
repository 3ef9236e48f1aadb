import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { parseRuleBook } from '../src/follow-up/rule-book.js'
import { RULE_RUN_QUEUE } from '../src/jobs/job-queue.js'
import { openDatabase } from '../src/storage/database.js'
import {
  CONSOLE_TEST_PASSWORD,
  signIn,
  type SignedIn,
} from './support/console-session.js'
import {
  EventStreamReader,
  type StreamMessage,
} from './support/event-stream-reader.js'
import { PushReceiver } from './support/push-receiver.js'
import {
  createServerDatabase,
  dropServerDatabase,
  query,
  resetTables,
} from './support/test-database.js'
import {
  startTestService,
  TEST_SECRET,
  waitFor,
  type TestService,
} from './support/test-service.js'

const FEED = '/pressos/console/feed'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

const RULES = parseRuleBook(
  `
rules:
  - id: qc-alarm
    on: production.qc_failed
    actions:
      - type: inbox_item
        title: "QC failed on {{work_order_id}}"
      - type: push
        title: "QC failed: {{work_order_id}}"
        message: "{{data.note}}"
`,
  'feed-test-rules.yaml',
)

async function postEvent(
  app: FastifyInstance,
  body: Record<string, unknown>,
): Promise<number> {
  const response = await app.inject({
    method: 'POST',
    url: '/pressos/webhooks/events',
    headers: {
      'content-type': 'application/json',
      'x-webhook-secret': TEST_SECRET,
    },
    payload: body,
  })
  assert.equal(response.statusCode, 202, response.body)

  return response.json().id
}

/** The rows of the feed table, by event id, as the page rendered them. */
function feedRows(html: string): { id: number; html: string }[] {
  const body = /<tbody id="feed-rows">([\s\S]*?)<\/tbody>/.exec(html)?.[1]
  assert.ok(body !== undefined, 'the page has the feed table')

  return [...body.matchAll(/<tr data-event-id="(\d+)">([\s\S]*?)<\/tr>/g)].map(
    (match) => ({ id: Number(match[1]), html: match[2]! }),
  )
}

/** The text of a fragment of HTML, tags dropped and spaces collapsed. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

function settledRun(t: TestService, eventId: number) {
  return waitFor(async () => {
    const [run] = await query<any>(
      t.database,
      `select * from rule_runs where event_id = ${eventId}
         and status in ('done', 'failed')`,
    )

    return run
  }, `rule run of event ${eventId} to settle`)
}

function feedEventOf(id: number) {
  return (message: StreamMessage) =>
    message.event === 'feed-event' && message.id === String(id)
}

describe('the live feed page', () => {
  const receiver = new PushReceiver()
  let t: TestService
  let browser: SignedIn
  let streamBase: string

  before(async () => {
    const pushUrl = await receiver.start()
    t = await startTestService('pglite', {
      ruleBook: RULES,
      env: {
        BASE_PATH: '/pressos',
        CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD,
        PUSH_NTFY_URL: pushUrl,
        JOB_RETRY_LIMIT: '0',
        SHOP_TIME_ZONE: 'America/Chicago',
        CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE: '100',
      },
    })
    streamBase = await t.service.app.listen({ port: 0, host: '127.0.0.1' })
  })
  after(async () => {
    await t.close()
    await receiver.stop()
  })
  beforeEach(async () => {
    await resetTables(t.database)
    browser = await signIn(t.service.app, '/pressos')
    receiver.statuses = []
    receiver.received.length = 0
  })

  const page = async (url: string) => {
    const response = await browser.request({ method: 'GET', url })
    assert.equal(response.statusCode, 200, response.body)

    return response.body
  }

  it('lists posted events newest first, each linking to its page', async () => {
    const first = await postEvent(t.service.app, {
      event_type: 'lead.new_inquiry',
      source: 'mockupdesk',
      work_order_id: 'WO-1',
    })
    const second = await postEvent(t.service.app, {
      event_type: 'mockup_approved',
      source: 'mockupdesk',
      work_order_id: 'WO-2',
    })

    const rows = feedRows(await page(FEED))

    assert.deepEqual(
      rows.map((row) => row.id),
      [second, first],
    )
    const newest = textOf(rows[0]!.html)
    assert.match(newest, /mockup\.approved sent as mockup_approved/)
    assert.match(newest, /mockupdesk WO-2 webhooks\.events/)
    assert.match(rows[0]!.html, new RegExp(`href="${FEED}/${second}"`))
    assert.match(rows[0]!.html, /datetime="\d{4}-\d\d-\d\dT[\d:.]+Z"/)
    assert.match(newest, /America\/Chicago/)
  })

  it('marks an event of a type the catalogue does not know', async () => {
    await postEvent(t.service.app, { event_type: 'press.jammed' })

    const [row] = feedRows(await page(FEED))

    assert.match(textOf(row!.html), /press\.jammed unrecognised/)
  })

  it('narrows the list by type, raw type, source, work order and door', async () => {
    const inquiry = await postEvent(t.service.app, {
      event_type: 'lead.new_inquiry',
      source: 'mockupdesk',
      work_order_id: 'WO-1',
    })
    const approval = await postEvent(t.service.app, {
      event_type: 'mockup_approved',
      source: 'printpath',
      work_order_id: 'WO-2',
    })
    const idsFor = async (query: string) =>
      feedRows(await page(`${FEED}?${query}`)).map((row) => row.id)

    assert.deepEqual(await idsFor('type=lead.new_inquiry'), [inquiry])
    assert.deepEqual(await idsFor('type=mockup.approved'), [approval])
    assert.deepEqual(await idsFor('type=mockup_approved'), [approval])
    assert.deepEqual(await idsFor('source=printpath'), [approval])
    assert.deepEqual(await idsFor('work_order=WO-1'), [inquiry])
    assert.deepEqual(await idsFor('door=webhooks.events&source=mockupdesk'), [
      inquiry,
    ])
    assert.deepEqual(await idsFor('door=twilio.sms.inbound'), [])
    const filtered = await page(`${FEED}?type=lead.new_inquiry`)
    assert.match(
      filtered,
      /id="filter-type" name="type" list="event-types" value="lead.new_inquiry"/,
    )
  })

  it('pages older events with an id cursor', async () => {
    const ids: number[] = []
    for (let i = 0; i < 52; i++) {
      ids.push(await postEvent(t.service.app, { event_type: 'quote.sent' }))
    }

    const newest = await page(FEED)
    const older = /href="([^"]+)" rel="next">Older events/.exec(newest)?.[1]
    assert.ok(older, 'the first page links to older events')
    const rest = feedRows(await page(older.replaceAll('&amp;', '&')))

    assert.equal(feedRows(newest).length, 50)
    assert.deepEqual(
      rest.map((row) => row.id),
      [ids[1], ids[0]],
    )
  })

  it("shows an event's payload, escaped, and its rule runs", async () => {
    const id = await postEvent(t.service.app, {
      event_type: 'production.qc_failed',
      work_order_id: 'WO-7',
      data: { note: '<script>alert(1)</script> ink cracking' },
    })
    await settledRun(t, id)

    const html = await page(`${FEED}/${id}`)

    assert.match(html, /<h1>Event #\d+: production\.qc_failed<\/h1>/)
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; ink cracking/)
    assert.doesNotMatch(html, /<script>alert/)
    assert.match(html, /&quot;work_order_id&quot;: &quot;WO-7&quot;/)
    const run =
      /<tr data-rule-run-id="\d+" data-status="(\w+)">([\s\S]*?)<\/tr>/.exec(
        html,
      )
    assert.ok(run, 'the rule run is listed')
    assert.equal(run[1], 'done')
    assert.match(
      textOf(run[2]!),
      /qc-alarm done 1 inbox_item ?: done .* push ?: done/,
    )
    assert.doesNotMatch(run[2]!, /Run again/)

    const feed = feedRows(await page(FEED))
    assert.match(textOf(feed[0]!.html), /1 done/)
  })

  it('answers 404 for an event that does not exist', async () => {
    const response = await browser.request({
      method: 'GET',
      url: `${FEED}/999`,
    })

    assert.equal(response.statusCode, 404)
  })

  describe('running a failed rule run again', () => {
    const failedRun = async () => {
      receiver.statuses = [500]
      const eventId = await postEvent(t.service.app, {
        event_type: 'production.qc_failed',
        work_order_id: 'WO-9',
        data: { note: 'misprint' },
      })
      const run = await settledRun(t, eventId)
      assert.equal(run.status, 'failed')

      return { eventId, run }
    }
    const retry = (eventId: number, runId: number, csrf?: string) =>
      browser.request({
        method: 'POST',
        url: `${FEED}/${eventId}/rule-runs/${runId}/retry`,
        headers: FORM,
        payload: csrf ? new URLSearchParams({ _csrf: csrf }).toString() : '',
      })

    it('offers a button on the failed run and queues it again', async () => {
      const { eventId, run } = await failedRun()
      const html = await page(`${FEED}/${eventId}`)
      assert.match(
        html,
        new RegExp(`action="${FEED}/${eventId}/rule-runs/${run.id}/retry"`),
      )

      const response = await retry(eventId, run.id, browser.csrf)

      assert.equal(response.statusCode, 303)
      assert.equal(
        response.headers.location,
        `${FEED}/${eventId}?retried=${run.id}`,
      )
      const [requeued] = await query<any>(
        t.database,
        `select status, job_id from rule_runs where id = ${run.id}`,
      )
      assert.notEqual(requeued.status, 'failed')
      assert.notEqual(requeued.job_id, run.job_id, 'a new job was queued')
      assert.ok(await t.service.jobs.findJob(RULE_RUN_QUEUE, requeued.job_id))

      const again = await settledRun(t, eventId)
      assert.equal(again.status, 'done')
      assert.equal(again.attempts, 2, 'the failed try and the one asked for')
      const items = await query(t.database, 'select id from inbox_items')
      assert.equal(items.length, 1, 'the inbox item done before is not redone')
      assert.equal(receiver.received.length, 2)
    })

    it('refuses a run that has not failed with 409', async () => {
      const eventId = await postEvent(t.service.app, {
        event_type: 'production.qc_failed',
        work_order_id: 'WO-10',
        data: { note: 'fine' },
      })
      const run = await settledRun(t, eventId)
      assert.equal(run.status, 'done')

      const response = await retry(eventId, run.id, browser.csrf)

      assert.equal(response.statusCode, 409)
      assert.match(response.json().detail, /is done, not failed/)
    })

    it('refuses a retry without the CSRF token', async () => {
      const { eventId, run } = await failedRun()

      const response = await retry(eventId, run.id)

      assert.equal(response.statusCode, 403)
      const [still] = await query<any>(
        t.database,
        `select status from rule_runs where id = ${run.id}`,
      )
      assert.equal(still.status, 'failed')
    })
  })

  describe('the stream', () => {
    const openStream = (query = '', headers: Record<string, string> = {}) =>
      EventStreamReader.open(`${streamBase}${FEED}/stream${query}`, {
        cookie: browser.cookie,
        ...headers,
      })

    it('refuses a reader who is not signed in', async () => {
      const response = await fetch(`${streamBase}${FEED}/stream`, {
        headers: { accept: 'text/event-stream' },
      })

      assert.equal(response.status, 401)
    })

    it('sends the row of a new event as it is stored', async () => {
      const stream = await openStream()
      try {
        assert.equal(
          stream.response.headers.get('content-type'),
          'text/event-stream; charset=utf-8',
        )
        assert.equal(stream.response.headers.get('x-accel-buffering'), 'no')
        assert.equal(stream.response.headers.get('cache-control'), 'no-store')

        const id = await postEvent(t.service.app, {
          event_type: 'shipping.delivered',
          work_order_id: 'WO-3',
        })
        const message = await stream.next(feedEventOf(id))
        const { html } = JSON.parse(message.data)

        assert.match(html, new RegExp(`^\\s*<tr data-event-id="${id}">`))
        assert.match(textOf(html), /shipping\.delivered\b.*\bWO-3/)
      } finally {
        stream.close()
      }
    })

    it('sends only the events its filters let through', async () => {
      const stream = await openStream('?type=lead.qualified')
      try {
        await postEvent(t.service.app, { event_type: 'lead.new_inquiry' })
        const wanted = await postEvent(t.service.app, {
          event_type: 'lead.qualified',
        })

        const first = await stream.next((m) => m.event === 'feed-event')

        assert.equal(first.id, String(wanted))
      } finally {
        stream.close()
      }
    })

    it('sends the new rule-run counts when a run moves', async () => {
      const stream = await openStream()
      try {
        const id = await postEvent(t.service.app, {
          event_type: 'production.qc_failed',
          work_order_id: 'WO-4',
          data: { note: 'check' },
        })
        const done = await stream.next(
          (m) =>
            m.event === 'rule-runs' &&
            JSON.parse(m.data).id === id &&
            /data-status="done"/.test(JSON.parse(m.data).html),
        )

        assert.match(textOf(JSON.parse(done.data).html), /^1 done$/)
      } finally {
        stream.close()
      }
    })

    it('sends what a reconnecting reader missed since its Last-Event-ID', async () => {
      const seen = await postEvent(t.service.app, { event_type: 'quote.sent' })
      const missed = await postEvent(t.service.app, {
        event_type: 'quote.accepted',
      })

      const stream = await openStream('', { 'last-event-id': String(seen) })
      try {
        const message = await stream.next((m) => m.event === 'feed-event')

        assert.equal(message.id, String(missed))
      } finally {
        stream.close()
      }
    })
  })
})

describe('the live feed across two processes on one PostgreSQL', () => {
  let url: string
  let one: TestService
  let two: TestService

  const env = {
    BASE_PATH: '/pressos',
    CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD,
  }

  before(async () => {
    url = await createServerDatabase()
    one = await startTestService('postgres', {
      env,
      database: await openDatabase({ databaseUrl: url }),
    })
    two = await startTestService('postgres', {
      env,
      database: await openDatabase({ databaseUrl: url }),
    })
  })
  after(async () => {
    await two.close()
    await one.database.close()
    await two.database.close()
    await dropServerDatabase(url)
  })

  it('shows on one process the events the other received', async () => {
    const browser = await signIn(one.service.app, '/pressos')
    const address = await one.service.app.listen({ port: 0, host: '127.0.0.1' })
    const stream = await EventStreamReader.open(`${address}${FEED}/stream`, {
      cookie: browser.cookie,
    })

    const id = await postEvent(two.service.app, {
      event_type: 'invoice.paid',
      work_order_id: 'WO-88',
    })
    const message = await stream.next(feedEventOf(id))
    assert.match(textOf(JSON.parse(message.data).html), /invoice\.paid .*WO-88/)

    await one.close()
    assert.ok(await stream.ended(), 'closing the service ends the stream')
  })
})
