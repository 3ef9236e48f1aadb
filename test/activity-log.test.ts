import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { RuleRunRelay } from '../src/follow-up/rule-run-relay.js'
import { RULE_RUN_QUEUE, type JobQueue } from '../src/jobs/job-queue.js'
import {
  ActivityLog,
  ReusedKeyError,
  storeEvents,
  type IncomingEvent,
  type StoreContext,
  type StoredEvent,
} from '../src/live-feed/activity-log.js'
import type { Database } from '../src/storage/database.js'
import {
  paidInvoice,
  PAID_INVOICE_RULES,
  SILENT,
  startJobQueue,
} from './support/paid-invoices.js'
import {
  createTestDatabase,
  ENGINES,
  query,
  resetTables,
} from './support/test-database.js'

// An outbox that hears of rule runs and does nothing with them.
const NO_OUTBOX = { stored: () => {} }

async function count(database: Database, table: string): Promise<number> {
  const [row] = await query<{ n: string }>(
    database,
    `select count(*)::text as n from ${table}`,
  )

  return Number(row!.n)
}

for (const engine of ENGINES) {
  describe(`storing a batch of events on ${engine}`, () => {
    let database: Database
    let jobs: JobQueue
    let context: StoreContext

    before(async () => {
      database = await createTestDatabase(engine)
      jobs = await startJobQueue(database)
      context = { ruleBook: PAID_INVOICE_RULES, scheduler: jobs }
    })
    after(async () => {
      await jobs.stop()
      await database.close()
    })
    beforeEach(() => resetTables(database))

    const store = (events: IncomingEvent[]) =>
      database.orm.transaction((tx) => storeEvents(tx, events, context))

    it('stores a key sent twice in one batch once, answering both', async () => {
      const [first, second] = await store([
        paidInvoice('pp-1'),
        paidInvoice('pp-1'),
      ])

      assert.ok(!(first instanceof ReusedKeyError))
      assert.ok(!(second instanceof ReusedKeyError))
      assert.equal(first!.duplicate, false)
      assert.equal(second!.duplicate, true)
      assert.equal(second!.id, first!.id)
      assert.equal(await count(database, 'activity_events'), 1)
      assert.equal(await count(database, 'rule_runs'), 1)
    })

    it('answers a repeat of a stored event with the first copy', async () => {
      const [stored] = await store([paidInvoice('pp-2')])
      const [fresh, repeat] = await store([
        paidInvoice('pp-3'),
        paidInvoice('pp-2', { resent: true }),
      ])

      assert.ok(!(stored instanceof ReusedKeyError))
      assert.ok(!(repeat instanceof ReusedKeyError))
      assert.equal(repeat!.id, stored!.id)
      assert.equal(repeat!.duplicate, true)
      assert.deepEqual(repeat!.ruleRunIds, [])
      assert.equal((fresh as StoredEvent).ruleRunIds.length, 1)
      assert.equal(await count(database, 'activity_events'), 2)
    })

    it('queues one job for each rule run of the new events', async () => {
      const outcomes = await store([
        paidInvoice('pp-4'),
        paidInvoice('pp-5'),
        { ...paidInvoice('pp-6'), rawEventType: 'not.in.catalogue' },
      ])

      assert.deepEqual(
        outcomes.map((o) => (o as StoredEvent).ruleRunIds.length),
        [1, 1, 0],
      )
      const runs = await query<{ job_id: string; event_id: string }>(
        database,
        'select job_id::text, event_id::text from rule_runs order by id',
      )
      assert.equal(runs.length, 2)
      for (const run of runs) {
        const job = await jobs.findJob(RULE_RUN_QUEUE, run.job_id)
        assert.ok(job, `rule run of event ${run.event_id} has its job`)
      }
    })

    it('tells the relay the rule runs of each batch it writes', async () => {
      // Never started, the relay does not sweep: only being told queues.
      const relay = new RuleRunRelay(database, jobs, SILENT, {
        queueAhead: 100,
      })
      const log = new ActivityLog(database, context, relay, SILENT, 100)

      const stored = await Promise.all([
        log.record(paidInvoice('pp-7')),
        log.record(paidInvoice('pp-8')),
      ])
      await relay.settled()

      const runs = await query<{ job_id: string | null }>(
        database,
        'select job_id::text from rule_runs order by id',
      )
      assert.equal(runs.length, 2)
      for (const [i, run] of runs.entries()) {
        assert.ok(run.job_id, `rule run of ${stored[i]!.id} was relayed`)
        assert.ok(await jobs.findJob(RULE_RUN_QUEUE, run.job_id))
      }
    })

    // An activity log that counts as idle `quietMs` after its last event.
    const logQuietFor = (quietMs: number) =>
      new ActivityLog(database, context, NO_OUTBOX, SILENT, 100, quietMs)

    it('is idle only while no event waits or is being written', async () => {
      const log = logQuietFor(0)
      assert.ok(log.idle, 'idle before any event')

      const stored = log.record(paidInvoice('pp-9'))
      assert.ok(!log.idle, 'not idle while the event waits for its write')
      await stored
      await log.drain()

      assert.ok(log.idle, 'idle again once the event is written')
    })

    it('is not idle until no event has come in for its quiet time', async () => {
      const log = logQuietFor(60_000)
      assert.ok(log.idle, 'idle before any event')

      await log.record(paidInvoice('pp-10'))
      await log.drain()

      assert.ok(!log.idle, 'written, but an event came in a moment ago')
    })

    it('stays idle while follow-ups emit events of their own', async () => {
      const log = logQuietFor(60_000)
      const [cause] = await store([paidInvoice('pp-11')])

      await database.orm.transaction((tx) =>
        log.recordWithin(tx, {
          ...paidInvoice('pp-12'),
          derivedFromEventId: (cause as StoredEvent).id,
        }),
      )

      assert.ok(log.idle, 'an emitted event is not one coming in')
    })

    it('refuses a key reused with another body in the same batch', async () => {
      const keyed = (eventType: string): IncomingEvent => ({
        door: 'webhooks.events',
        rawEventType: eventType,
        payload: { event_type: eventType },
        dedupeKey: 'idempotency-key:webhooks.events:run-9',
        bodySha256: eventType,
        requireSameBody: true,
      })
      const [first, second] = await store([
        keyed('quote.sent'),
        keyed('quote.expired'),
      ])

      assert.ok(!(first instanceof ReusedKeyError))
      assert.ok(second instanceof ReusedKeyError)
      assert.equal(second.existingId, first!.id)
      assert.equal(await count(database, 'activity_events'), 1)
    })
  })
}

describe('the batch statement on postgres', () => {
  let database: Database

  before(async () => {
    database = await createTestDatabase('postgres')
    await database.migrate()
  })
  after(() => database.close())

  it('is prepared on the connection that wrote the batch', async () => {
    // No job queue shares the pool, and the pool lends out the connection
    // given back last: the probe runs where the batches ran.
    const context = {
      ruleBook: PAID_INVOICE_RULES,
      scheduler: { enqueueRuleRuns: () => Promise.reject(new Error('unused')) },
    }
    const log = new ActivityLog(database, context, NO_OUTBOX, SILENT, 100)
    await log.record(paidInvoice('pp-20'))
    await log.record(paidInvoice('pp-21'))

    const { rows } = await database.runPrepared(
      {
        name: 'prepared-statements',
        text: 'select name from pg_prepared_statements',
      },
      [],
    )

    const names = rows.map((row: { name: string }) => row.name)
    assert.ok(
      names.includes('activity-events-batch'),
      `prepared on the connection: ${names.join(', ')}`,
    )
  })
})
