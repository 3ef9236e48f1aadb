import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { ENGINES, query, resetTables } from './support/test-database.js'
import { postEvent } from './support/event-requests.js'
import {
  startTestService,
  TEST_SECRET,
  waitFor,
  type TestService,
} from './support/test-service.js'

async function countEvents(t: TestService): Promise<number> {
  const [row] = await query<{ n: string }>(
    t.database,
    'select count(*)::text as n from activity_events',
  )

  return Number(row!.n)
}

function assertProblem(
  response: {
    statusCode: number
    headers: Record<string, unknown>
    json(): any
  },
  status: number,
) {
  assert.equal(response.statusCode, status)
  assert.match(
    String(response.headers['content-type']),
    /^application\/problem\+json/,
  )
  const problem = response.json()
  assert.equal(problem.status, status)
  assert.match(problem.type, /^https:\/\//)
  assert.ok(problem.title.length > 0, 'problem has a title')
  assert.ok(problem.detail.length > 0, 'problem has a detail')

  return problem
}

for (const engine of ENGINES) {
  describe(`POST /webhooks/events on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        env: {
          WEBHOOK_SECRET: `old-secret, ${TEST_SECRET}`,
          MAX_BODY_BYTES: '2048',
        },
      })
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('stores an event in the activity log and answers 202 with its id', async () => {
      const response = await postEvent(t.service.app, {
        event_type: 'lead.new_inquiry',
        source: 'mockupdesk',
        work_order_id: 'WO-1042',
        occurred_at: '2026-12-03T09:05:00-05:00',
        data: { name: 'Rosa Diaz', shirts: 48 },
        campaign: 'holiday',
      })

      assert.equal(response.statusCode, 202)
      const answer = response.json()
      assert.equal(answer.event_type, 'lead.new_inquiry')
      assert.equal(answer.recognised, true)
      assert.equal(answer.duplicate, false)

      const [row] = await query<any>(
        t.database,
        `select id, event_type, source, work_order_id, payload,
           occurred_at at time zone 'UTC' as occurred_utc
         from activity_events`,
      )
      assert.equal(Number(row.id), answer.id)
      assert.equal(row.source, 'mockupdesk')
      assert.equal(row.work_order_id, 'WO-1042')
      assert.equal(row.payload.campaign, 'holiday', 'unknown fields are kept')
      assert.equal(row.payload.data.shirts, 48)
      assert.match(String(row.occurred_utc), /14:05:00/)
    })

    it('normalises a legacy alias and keeps the raw type', async () => {
      const response = await postEvent(t.service.app, {
        event_type: 'mockup_approved',
        work_order_id: 'WO-7',
      })

      assert.equal(response.statusCode, 202)
      assert.equal(response.json().event_type, 'mockup.approved')
      const [row] = await query<any>(
        t.database,
        'select event_type, raw_event_type from activity_events',
      )
      assert.deepEqual(row, {
        event_type: 'mockup.approved',
        raw_event_type: 'mockup_approved',
      })
    })

    it('stores an unknown event type flagged, runs no rules, and says so', async () => {
      const response = await postEvent(t.service.app, {
        event_type: 'embroidery.thread_low',
      })

      assert.equal(response.statusCode, 202)
      const answer = response.json()
      assert.equal(answer.recognised, false)
      assert.equal(answer.follow_ups_queued, 0)
      assert.match(answer.warning, /not in the PressOS catalogue/)
      const rows = await query<any>(
        t.database,
        'select recognised, event_type, raw_event_type from activity_events',
      )
      assert.deepEqual(rows, [
        {
          recognised: false,
          event_type: null,
          raw_event_type: 'embroidery.thread_low',
        },
      ])
      assert.deepEqual(await query(t.database, 'select id from rule_runs'), [])
    })

    it('stores the matching rule runs and queues a job for each', async () => {
      const response = await postEvent(t.service.app, {
        event_type: 'lead.new_inquiry',
        data: { name: 'Rosa' },
      })

      assert.ok(response.json().follow_ups_queued > 0)
      const runs = await query<any>(
        t.database,
        'select rule_id, job_id from rule_runs',
      )
      assert.equal(runs.length, response.json().follow_ups_queued)
      const jobIds = await waitFor(async () => {
        const queued = await query<any>(
          t.database,
          `select job_id::text from rule_runs where job_id is not null`,
        )

        return queued.length === runs.length && queued.map((r) => r.job_id)
      }, 'every rule run to have its job')
      const jobs = await query<any>(
        t.database,
        `select id::text from pgboss.job where name = 'follow-up-rule-run'`,
      )
      assert.deepEqual(
        jobs.map((job) => job.id).sort(),
        jobIds.sort(),
        'every rule run has its job, and no job is without one',
      )
    })

    it('accepts every value of a rotated secret list', async () => {
      const response = await postEvent(
        t.service.app,
        { event_type: 'quote.sent' },
        { 'x-webhook-secret': 'old-secret' },
      )

      assert.equal(response.statusCode, 202)
    })

    it('refuses a missing secret with 401 and stores nothing', async () => {
      const response = await postEvent(
        t.service.app,
        { event_type: 'quote.sent' },
        { 'x-webhook-secret': undefined },
      )

      const problem = assertProblem(response, 401)
      assert.match(problem.detail, /X-Webhook-Secret header is missing/)
      assert.equal(await countEvents(t), 0)
    })

    it('refuses a wrong secret with 401 and stores nothing', async () => {
      const response = await postEvent(
        t.service.app,
        { event_type: 'quote.sent' },
        { 'x-webhook-secret': `${TEST_SECRET}x` },
      )

      assertProblem(response, 401)
      assert.equal(await countEvents(t), 0)
    })

    it('checks the secret before reading the body', async () => {
      const response = await postEvent(t.service.app, '{not json', {
        'x-webhook-secret': 'wrong',
      })

      assertProblem(response, 401)
    })

    it('answers malformed JSON with 400 and stores nothing', async () => {
      const response = await postEvent(
        t.service.app,
        '{"event_type": "quote.sent",',
      )

      const problem = assertProblem(response, 400)
      assert.match(problem.detail, /not valid JSON/)
      assert.equal(await countEvents(t), 0)
    })

    it('answers an empty body with 400', async () => {
      const response = await postEvent(t.service.app, '')

      assertProblem(response, 400)
    })

    it('answers a body that is not JSON with 415', async () => {
      const response = await postEvent(t.service.app, 'event_type=quote.sent', {
        'content-type': 'application/x-www-form-urlencoded',
      })

      assertProblem(response, 415)
      assert.equal(await countEvents(t), 0)
    })

    it('answers an unknown content type with 415', async () => {
      const response = await postEvent(t.service.app, 'hello', {
        'content-type': 'text/plain',
      })

      assertProblem(response, 415)
    })

    it('answers a body over MAX_BODY_BYTES with 413', async () => {
      const response = await postEvent(t.service.app, {
        event_type: 'quote.sent',
        data: { notes: 'x'.repeat(3000) },
      })

      assertProblem(response, 413)
      assert.equal(await countEvents(t), 0)
    })

    it('answers a body without event_type with 422 naming the field', async () => {
      const response = await postEvent(t.service.app, { source: 'printpath' })

      const problem = assertProblem(response, 422)
      assert.deepEqual(
        problem.errors.map((e: { field: string }) => e.field),
        ['event_type'],
      )
      assert.equal(await countEvents(t), 0)
    })

    it('lists every wrong field of an invalid event', async () => {
      const response = await postEvent(t.service.app, {
        event_type: 'quote.sent',
        occurred_at: '2026-12-03 14:05',
        data: ['not', 'an', 'object'],
        source: 42,
      })

      const problem = assertProblem(response, 422)
      assert.deepEqual(
        problem.errors.map((e: { field: string }) => e.field).sort(),
        ['data', 'occurred_at', 'source'],
      )
      assert.match(problem.detail, /ISO 8601 time with its zone/)
    })

    it('refuses text PostgreSQL cannot store with 422, naming where', async () => {
      const nul = '{"event_type": "quote.sent", "data": {"note": "a\\u0000b"}}'
      const halfPair = '{"event_type": "quote.sent", "data": {"x": "\\ud800"}}'

      for (const body of [nul, halfPair]) {
        const problem = assertProblem(await postEvent(t.service.app, body), 422)
        assert.match(problem.detail, /data\.(note|x)/)
      }
      assert.equal(await countEvents(t), 0)
    })

    it('refuses a body nested deeper than any door reads with 422', async () => {
      const deep =
        '{"event_type": "quote.sent", "data": ' +
        '{"a":'.repeat(100) +
        '1' +
        '}'.repeat(101)

      const problem = assertProblem(await postEvent(t.service.app, deep), 422)
      assert.match(problem.detail, /more than 64 levels deep/)
      assert.equal(await countEvents(t), 0)
    })

    it('tells apart the same event_id from two sources', async () => {
      await postEvent(t.service.app, {
        event_type: 'quote.sent',
        source: 'a:b',
        event_id: 'c',
      })
      const other = await postEvent(t.service.app, {
        event_type: 'quote.sent',
        source: 'a',
        event_id: 'b:c',
      })

      assert.equal(other.json().duplicate, false)
      assert.equal(await countEvents(t), 2)
    })

    it('answers a JSON array with 422', async () => {
      const response = await postEvent(t.service.app, [
        { event_type: 'quote.sent' },
      ])

      assertProblem(response, 422)
    })

    it('stores an event sent twice with the same event_id once', async () => {
      const event = {
        event_type: 'invoice.paid',
        event_id: 'pp-991',
        source: 'printpath',
      }
      const first = await postEvent(t.service.app, event)
      const second = await postEvent(t.service.app, { ...event, resent: true })

      assert.equal(second.statusCode, 202)
      assert.equal(second.json().id, first.json().id)
      assert.equal(first.json().duplicate, false)
      assert.equal(second.json().duplicate, true)
      assert.equal(await countEvents(t), 1)
    })

    it('stores concurrent copies of one event once', async () => {
      const event = {
        event_type: 'invoice.paid',
        event_id: 'pp-992',
        source: 'printpath',
      }
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => postEvent(t.service.app, event)),
      )

      const ids = new Set(answers.map((a) => a.json().id))
      assert.equal(ids.size, 1)
      assert.equal(answers.filter((a) => !a.json().duplicate).length, 1)
      assert.equal(await countEvents(t), 1)
      const [runs] = await query<{ n: string }>(
        t.database,
        'select count(distinct event_id)::text as n from rule_runs',
      )
      assert.ok(Number(runs!.n) <= 1, 'follow-ups queued once at most')
    })

    it('makes a call idempotent with an Idempotency-Key', async () => {
      const event = {
        event_type: 'quote.generated',
        data: { total_cents: 48000 },
      }
      const headers = { 'idempotency-key': 'quote-run-17' }
      const first = await postEvent(t.service.app, event, headers)
      const second = await postEvent(t.service.app, event, headers)

      assert.equal(second.json().id, first.json().id)
      assert.equal(second.json().duplicate, true)
      assert.equal(await countEvents(t), 1)
    })

    it('refuses an Idempotency-Key reused with another body with 422', async () => {
      const headers = { 'idempotency-key': 'quote-run-18' }
      await postEvent(t.service.app, { event_type: 'quote.sent' }, headers)
      const response = await postEvent(
        t.service.app,
        { event_type: 'quote.expired' },
        headers,
      )

      assertProblem(response, 422)
      assert.equal(await countEvents(t), 1)
    })

    it('refuses an Idempotency-Key that is not printable with 400', async () => {
      const response = await postEvent(
        t.service.app,
        { event_type: 'quote.sent' },
        { 'idempotency-key': 'x'.repeat(256) },
      )

      assertProblem(response, 400)
      assert.equal(await countEvents(t), 0)
    })

    it('answers another method with 405 and Allow', async () => {
      const response = await t.service.app.inject({
        method: 'GET',
        url: '/webhooks/events',
      })

      assertProblem(response, 405)
      assert.equal(response.headers.allow, 'POST')
    })

    it('answers an unknown path with a 404 problem', async () => {
      const response = await t.service.app.inject({
        method: 'POST',
        url: '/webhooks/nope',
      })

      assertProblem(response, 404)
    })

    it('writes concurrent events in shared transactions', async () => {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          postEvent(t.service.app, {
            event_type: 'quote.sent',
            event_id: `q-${i}`,
          }),
        ),
      )

      assert.ok(answers.every((a) => a.statusCode === 202))
      const [row] = await query<{ events: string; transactions: string }>(
        t.database,
        `select count(*)::text as events,
           count(distinct xmin::text)::text as transactions
         from activity_events`,
      )
      assert.equal(Number(row!.events), 40)
      assert.ok(
        Number(row!.transactions) < 40,
        `40 events took ${row!.transactions} transactions`,
      )
    })
  })
}

describe('POST /webhooks/events with no secret configured', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite', { env: { WEBHOOK_SECRET: '' } })
  })
  after(() => t.close())

  it('is closed with 503 naming the variables to set', async () => {
    const response = await postEvent(t.service.app, {
      event_type: 'quote.sent',
    })

    const problem = assertProblem(response, 503)
    assert.match(
      problem.detail,
      /WEBHOOK_SECRET, PRESSOS_WEBHOOK_SECRET, PRINTBRAIN_WEBHOOK_SECRET/,
    )
    assert.equal(await countEvents(t), 0)
  })
})

describe('POST /webhooks/events under BASE_PATH', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite', {
      env: { BASE_PATH: '/pressos/', PRINTBRAIN_WEBHOOK_SECRET: 'pb-secret' },
    })
  })
  after(() => t.close())

  it('answers under the prefix and accepts PRINTBRAIN_WEBHOOK_SECRET', async () => {
    const response = await t.service.app.inject({
      method: 'POST',
      url: '/pressos/webhooks/events',
      headers: {
        'content-type': 'application/json',
        'x-webhook-secret': 'pb-secret',
      },
      payload: { event_type: 'quote.sent' },
    })

    assert.equal(response.statusCode, 202)
  })

  it('does not answer without the prefix', async () => {
    const response = await postEvent(t.service.app, {
      event_type: 'quote.sent',
    })

    assert.equal(response.statusCode, 404)
  })
})
