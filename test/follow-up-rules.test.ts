import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { parseRuleBook } from '../src/follow-up/rule-book.js'
import { RULE_RUN_QUEUE } from '../src/jobs/job-queue.js'
import { postEvent } from './support/event-requests.js'
import { PushReceiver } from './support/push-receiver.js'
import { ENGINES, query, resetTables } from './support/test-database.js'
import {
  startTestService,
  waitFor,
  type TestService,
} from './support/test-service.js'

const RULES = parseRuleBook(
  `
rules:
  - id: approved-mockup-moves-order
    on: mockup.approved
    actions:
      - type: set_work_order_status
        status: approved_for_separations
      - type: inbox_item
        title: "Mockup approved for {{work_order_id}}"
  - id: blank-cost
    on: cogs.blank_matched
    actions:
      - type: record_cost
        category: blanks
        amount_cents: "{{data.amount_cents}}"
  - id: payment
    on: payment.received
    actions:
      - type: record_payment
        category: customer_payment
        amount_cents: "{{data.amount_cents}}"
  - id: qc-failed-alarm
    on: production.qc_failed
    when:
      - path: data.severity
        in: [major, critical]
    actions:
      - type: inbox_item
        title: "QC failed on {{work_order_id}}"
        priority: high
      - type: push
        title: "QC failed: {{work_order_id}}"
        message: "{{data.note}}"
        priority: urgent
        tags: [rotating_light]
  - id: accepted-quote-opens-order
    on: quote.accepted
    actions:
      - type: emit_event
        event_type: work_order.created
        data:
          work_order_id: "{{work_order_id}}"
  - id: new-order-status
    on: work_order.created
    actions:
      - type: set_work_order_status
        status: new
`,
  'test-rules.yaml',
)

function post(t: TestService, body: object) {
  return postEvent(t.service.app, body)
}

function settledRun(t: TestService, ruleId: string) {
  return waitFor(async () => {
    const [run] = await query<any>(
      t.database,
      `select * from rule_runs where rule_id = '${ruleId}'
         and status in ('done', 'failed')`,
    )

    return run
  }, `rule run of ${ruleId} to settle`)
}

for (const engine of ENGINES) {
  describe(`follow-up rules on ${engine}`, () => {
    const receiver = new PushReceiver()
    let t: TestService

    before(async () => {
      const pushUrl = await receiver.start()
      t = await startTestService(engine, {
        ruleBook: RULES,
        env: { PUSH_NTFY_URL: pushUrl, PUSH_NTFY_TOKEN: 'tk_push_secret' },
      })
    })
    after(async () => {
      await t.close()
      await receiver.stop()
    })
    beforeEach(async () => {
      await resetTables(t.database)
      receiver.received.length = 0
      receiver.statuses = []
    })

    it('moves the work order on and puts an inbox item for an approved mockup', async () => {
      await post(t, { event_type: 'mockup_approved', work_order_id: 'WO-31' })

      const run = await settledRun(t, 'approved-mockup-moves-order')
      assert.equal(run.status, 'done')
      assert.equal(run.results.length, 2)
      const [order] = await query<any>(
        t.database,
        'select id, status from work_orders',
      )
      assert.deepEqual(order, {
        id: 'WO-31',
        status: 'approved_for_separations',
      })
      const [item] = await query<any>(
        t.database,
        'select title, status from inbox_items',
      )
      assert.deepEqual(item, {
        title: 'Mockup approved for WO-31',
        status: 'new',
      })
    })

    it('marks a run done in the same transaction as its last action', async () => {
      await post(t, { event_type: 'mockup_approved', work_order_id: 'WO-32' })

      const run = await settledRun(t, 'approved-mockup-moves-order')
      assert.equal(run.status, 'done')
      assert.ok(run.finished_at, 'the finished run says when')
      const [written] = await query<any>(
        t.database,
        `select
           (select xmin::text from rule_runs where id = ${run.id}) as run,
           (select xmin::text from inbox_items) as item`,
      )
      assert.equal(
        written.run,
        written.item,
        'the run was marked done by the transaction that made its inbox item',
      )
    })

    it('records costs and payments in integer cents', async () => {
      await post(t, {
        event_type: 'cogs.blank_matched',
        work_order_id: 'WO-32',
        data: { amount_cents: 31_250 },
      })
      await post(t, {
        event_type: 'payment.received',
        work_order_id: 'WO-32',
        data: { amount_cents: '98000' },
      })

      await settledRun(t, 'blank-cost')
      await settledRun(t, 'payment')
      const entries = await query<any>(
        t.database,
        `select entry_kind, category, amount_cents::text, currency
         from work_order_ledger order by entry_kind`,
      )
      assert.deepEqual(entries, [
        {
          entry_kind: 'cost',
          category: 'blanks',
          amount_cents: '31250',
          currency: 'USD',
        },
        {
          entry_kind: 'payment',
          category: 'customer_payment',
          amount_cents: '98000',
          currency: 'USD',
        },
      ])
    })

    it('fails a run at once when the amount is not whole cents', async () => {
      await post(t, {
        event_type: 'cogs.blank_matched',
        work_order_id: 'WO-33',
        data: { amount_cents: 312.5 },
      })

      const run = await settledRun(t, 'blank-cost')
      assert.equal(run.status, 'failed')
      assert.equal(run.attempts, 1, 'a mistake in the data is not retried')
      assert.match(run.last_error, /not a whole number of cents/)
      assert.deepEqual(
        await query(t.database, 'select id from work_order_ledger'),
        [],
      )
    })

    it('runs only the rules whose conditions hold', async () => {
      await post(t, {
        event_type: 'production.qc_failed',
        work_order_id: 'WO-34',
        data: { severity: 'minor' },
      })

      assert.deepEqual(await query(t.database, 'select id from rule_runs'), [])
    })

    it('sends a push notification to the ntfy server', async () => {
      await post(t, {
        event_type: 'production.qc_failed',
        work_order_id: 'WO-35',
        data: { severity: 'major', note: 'Ink cracking on 12 of 48' },
      })

      const run = await settledRun(t, 'qc-failed-alarm')
      assert.equal(run.status, 'done')
      assert.equal(receiver.received.length, 1)
      const push = receiver.received[0]!
      assert.equal(push.method, 'POST')
      assert.equal(push.path, '/pressos-shop')
      assert.equal(push.body, 'Ink cracking on 12 of 48')
      assert.equal(push.headers.title, 'QC failed: WO-35')
      assert.equal(push.headers.authorization, 'Bearer tk_push_secret')
      const [sent] = await query<any>(
        t.database,
        'select driver, priority from push_notifications',
      )
      assert.deepEqual(sent, { driver: 'ntfy', priority: 'urgent' })
    })

    it('retries a failing push and does not repeat the actions already done', async () => {
      receiver.statuses = [503]
      await post(t, {
        event_type: 'production.qc_failed',
        work_order_id: 'WO-36',
        data: { severity: 'critical', note: 'Misprint' },
      })

      const run = await settledRun(t, 'qc-failed-alarm')
      assert.equal(run.status, 'done')
      assert.equal(run.attempts, 2)
      assert.equal(receiver.received.length, 2)
      const items = await query(t.database, 'select id from inbox_items')
      assert.equal(items.length, 1, 'the inbox item is made once')
    })

    it('keeps a run that keeps failing visible as failed, with its error', async () => {
      receiver.statuses = [500, 500, 500]
      await post(t, {
        event_type: 'production.qc_failed',
        work_order_id: 'WO-37',
        data: { severity: 'critical', note: 'Misprint' },
      })

      const run = await settledRun(t, 'qc-failed-alarm')
      assert.equal(run.status, 'failed')
      assert.equal(run.attempts, 3, 'one try and two retries')
      assert.match(run.last_error, /500/)
      assert.ok(!run.last_error.includes('tk_push_secret'))
      const job = await waitFor(async () => {
        const found = await t.service.jobs.findJob(RULE_RUN_QUEUE, run.job_id)

        return found?.state === 'failed' && found
      }, 'job to be failed')
      assert.match(JSON.stringify(job.output), /500/)
    })

    it('emits a derived event that runs its own rules', async () => {
      const response = await post(t, {
        event_type: 'quote.accepted',
        work_order_id: 'WO-38',
      })

      await settledRun(t, 'new-order-status')
      const [derived] = await query<any>(
        t.database,
        `select event_type, derived_from_event_id::int as parent, work_order_id
         from activity_events where door = 'follow-up-rules'`,
      )
      assert.deepEqual(derived, {
        event_type: 'work_order.created',
        parent: response.json().id,
        work_order_id: 'WO-38',
      })
      const [order] = await query<any>(
        t.database,
        'select status from work_orders',
      )
      assert.equal(order.status, 'new')
    })

    it('keeps the event while the job queue fails, and queues it after', async () => {
      const { sql } = await import('drizzle-orm')
      // Break the job queue's table for a moment.
      await t.database.orm.execute(
        sql`alter table pgboss.job rename to job_aside`,
      )
      let response
      try {
        response = await post(t, {
          event_type: 'mockup.approved',
          work_order_id: 'WO-39',
        })
        await waitFor(
          async () => t.log.text.includes('could not queue follow-up jobs'),
          'the relay to report the broken queue',
        )
      } finally {
        await t.database.orm.execute(
          sql`alter table pgboss.job_aside rename to job`,
        )
      }

      assert.equal(response.statusCode, 202)
      const run = await settledRun(t, 'approved-mockup-moves-order')
      assert.equal(run.status, 'done')
      const [order] = await query<any>(
        t.database,
        `select status from work_orders where id = 'WO-39'`,
      )
      assert.equal(order.status, 'approved_for_separations')
      const relayLines = t.log.lines.filter((l) => l.includes('follow-up jobs'))
      assert.equal(relayLines.length, 2, 'one line when it fails, one after')
      assert.match(relayLines[1]!, /being queued again/)
    })
  })
}
