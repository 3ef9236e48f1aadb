import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import { RuleRunRelay } from '../src/follow-up/rule-run-relay.js'
import { RULE_RUN_QUEUE } from '../src/jobs/job-queue.js'
import {
  storeEvents,
  type IncomingEvent,
  type ReusedKeyError,
  type StoredEvent,
} from '../src/live-feed/activity-log.js'
import { openDatabase, type Database } from '../src/storage/database.js'
import {
  paidInvoice,
  PAID_INVOICE_RULES,
  SILENT,
  startJobQueue,
} from './support/paid-invoices.js'
import {
  createServerDatabase,
  dropServerDatabase,
  query,
  resetTables,
} from './support/test-database.js'

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

function ruleRunIdsOf(events: (StoredEvent | ReusedKeyError)[]): number[] {
  return events.flatMap((event) => (event as StoredEvent).ruleRunIds)
}

function paidInvoices(count: number, numberedFrom = 0): IncomingEvent[] {
  return Array.from({ length: count }, (_, i) =>
    paidInvoice(`pp-${numberedFrom + i}`),
  )
}

/**
 * A database and job queue as one service process holds them, with a relay
 * that may keep `queueAhead` jobs waiting.
 */
async function openProcess(url: string, queueAhead = 10_000) {
  const database = await openDatabase({ databaseUrl: url })
  const jobs = await startJobQueue(database)
  const relay = new RuleRunRelay(database, jobs, SILENT, { queueAhead })

  return { database, jobs, relay }
}

describe('the rule-run relay', () => {
  let url: string
  let first: Awaited<ReturnType<typeof openProcess>>
  let second: Awaited<ReturnType<typeof openProcess>>
  let short: Awaited<ReturnType<typeof openProcess>>

  before(async () => {
    url = await createServerDatabase()
    first = await openProcess(url)
    second = await openProcess(url)
    short = await openProcess(url, 20)
  })
  after(async () => {
    for (const process of [first, second, short]) {
      await process.relay.stop()
      await process.jobs.stop()
      await process.database.close()
    }
    await dropServerDatabase(url)
  })
  beforeEach(() => resetTables(first.database))
  // A relay a test started would otherwise sweep in the tests after it.
  afterEach(() => first.relay.stop())

  // Rule runs stored and not yet relayed, as a process killed in between
  // leaves them.
  async function storeWithoutJobs(
    database: Database,
    events: number,
    numberedFrom = 0,
  ) {
    return storeEvents(
      database.orm,
      paidInvoices(events, numberedFrom),
      { ruleBook: PAID_INVOICE_RULES, scheduler: first.jobs },
      { queueJobs: false },
    )
  }

  async function relayCounts(database: Database) {
    const [row] = await query<{ runs: number; waiting: number; jobs: number }>(
      database,
      `select (select count(*)::int from rule_runs) as runs,
         (select count(*)::int from rule_runs where job_id is null)
           as waiting,
         (select count(*)::int from pgboss.job j
           join rule_runs r on r.job_id = j.id) as jobs`,
    )

    return row!
  }

  // Where the rule runs that have a job stand in the order the rule runs
  // were stored, counting from 1.
  async function queuedRuns(database: Database) {
    const rows = await query<{ n: number }>(
      database,
      `select n::int from (
         select job_id, row_number() over (order by id) as n from rule_runs
       ) runs
       where job_id is not null order by n`,
    )

    return rows.map((row) => row.n)
  }

  // Sets `change` on the `count` oldest rule-run jobs not yet started.
  async function changeOldestJobs(
    database: Database,
    count: number,
    change: string,
  ) {
    await query(
      database,
      `update pgboss.job set ${change}
       where id in (select id from pgboss.job
         where name = '${RULE_RUN_QUEUE}' and state = 'created'
         order by created_on limit ${count})`,
    )
  }

  // What a worker does when it takes jobs from the queue.
  const startJobs = (database: Database, count: number) =>
    changeOldestJobs(database, count, `state = 'active', started_on = now()`)

  // What a failed try leaves: the job waits an hour for its retry.
  const failForAnHour = (database: Database, count: number) =>
    changeOldestJobs(
      database,
      count,
      `state = 'retry', retry_count = 1,
       start_after = now() + interval '1 hour'`,
    )

  it('queues, when it starts, the rule runs left without a job', async () => {
    await storeWithoutJobs(first.database, 30)
    assert.deepEqual(await relayCounts(first.database), {
      runs: 30,
      waiting: 30,
      jobs: 0,
    })

    await first.relay.start()

    assert.deepEqual(await relayCounts(first.database), {
      runs: 30,
      waiting: 0,
      jobs: 30,
    })
  })

  it('queues the rule runs it is told of, and leaves others to the sweep', async () => {
    await first.relay.start()
    await storeWithoutJobs(first.database, 10)
    const told = await storeWithoutJobs(first.database, 5, 10)

    first.relay.stored(ruleRunIdsOf(told))
    await first.relay.settled()

    assert.deepEqual(await relayCounts(first.database), {
      runs: 15,
      waiting: 10,
      jobs: 5,
    })
    await first.relay.relayWaiting()
    assert.equal((await relayCounts(first.database)).waiting, 0)
  })

  it('queues no more jobs than it may keep waiting, oldest runs first', async () => {
    await storeWithoutJobs(first.database, 50)

    await short.relay.relayWaiting()

    assert.deepEqual(await relayCounts(first.database), {
      runs: 50,
      waiting: 30,
      jobs: 20,
    })
    assert.deepEqual(await queuedRuns(first.database), range(1, 20))
  })

  it('leaves what it is told of to the sweep while the queue is full', async () => {
    await storeWithoutJobs(first.database, 20)
    await short.relay.relayWaiting()
    const told = await storeWithoutJobs(first.database, 5, 20)

    short.relay.stored(ruleRunIdsOf(told))
    await short.relay.settled()

    assert.deepEqual(await relayCounts(first.database), {
      runs: 25,
      waiting: 5,
      jobs: 20,
    })
  })

  // The two ways the room is counted again: the sweep, and a top-up asked
  // for between sweeps.
  const recounts: [string, (relay: RuleRunRelay) => Promise<void>][] = [
    ['at its next sweep', (relay) => relay.relayWaiting()],
    [
      'as soon as asked to top up',
      async (relay) => {
        relay.topUp()
        await relay.settled()
      },
    ],
  ]
  for (const [when, recount] of recounts) {
    it(`queues more as workers start the waiting jobs, ${when}`, async () => {
      await storeWithoutJobs(first.database, 50)
      await short.relay.relayWaiting()

      await startJobs(first.database, 15)
      await recount(short.relay)

      assert.deepEqual(await relayCounts(first.database), {
        runs: 50,
        waiting: 15,
        jobs: 35,
      })
      assert.deepEqual(await queuedRuns(first.database), range(1, 35))
    })
  }

  it('tops nothing up once it has stopped', async () => {
    const relay = new RuleRunRelay(first.database, first.jobs, SILENT, {
      queueAhead: 20,
    })
    await relay.stop()
    await storeWithoutJobs(first.database, 5)

    relay.topUp()
    await relay.settled()

    assert.equal((await relayCounts(first.database)).waiting, 5)
  })

  it('does not count jobs waiting to be retried later as waiting', async () => {
    await storeWithoutJobs(first.database, 50)
    await short.relay.relayWaiting()

    await failForAnHour(first.database, 20)
    await short.relay.relayWaiting()

    assert.deepEqual(await relayCounts(first.database), {
      runs: 50,
      waiting: 10,
      jobs: 40,
    })
  })

  it('queues each rule run once when two processes relay at once', async () => {
    await storeWithoutJobs(first.database, 1400)

    await Promise.all([
      first.relay.relayWaiting(),
      second.relay.relayWaiting(),
      first.relay.relayWaiting(),
      second.relay.relayWaiting(),
    ])

    const [jobs] = await query<{ n: number }>(
      first.database,
      `select count(*)::int as n from pgboss.job
       where name = '${RULE_RUN_QUEUE}'`,
    )
    assert.equal(jobs!.n, 1400, 'one job a rule run, none twice')
    assert.deepEqual(await relayCounts(first.database), {
      runs: 1400,
      waiting: 0,
      jobs: 1400,
    })
  })
})
