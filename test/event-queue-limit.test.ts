import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { postEvent } from './support/event-requests.js'
import { createServerDatabase } from './support/test-database.js'
import { openDatabase } from '../src/storage/database.js'
import {
  startTestService,
  waitFor,
  type TestService,
} from './support/test-service.js'
import { dropServerDatabase, query } from './support/test-database.js'

function postQuoteSent(t: TestService, eventId: string) {
  return postEvent(t.service.app, {
    event_type: 'quote.sent',
    event_id: eventId,
  })
}

/** Holds the activity log's table locked from another connection. */
async function lockActivityLog(databaseUrl: string) {
  const holder = new pg.Client({ connectionString: databaseUrl })
  await holder.connect()
  await holder.query('begin')
  await holder.query('lock table activity_events in access exclusive mode')

  return async () => {
    await holder.query('commit')
    await holder.end()
  }
}

async function writesWaitingOnLock(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const result = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock'`,
    )

    return result.rows[0]!.n
  } finally {
    await client.end()
  }
}

describe('the events door when too many events are waiting', () => {
  let databaseUrl: string
  let t: TestService

  before(async () => {
    databaseUrl = await createServerDatabase()
    t = await startTestService('postgres', {
      database: await openDatabase({ databaseUrl }),
      env: { EVENT_QUEUE_LIMIT: '3' },
    })
  })

  after(async () => {
    await t?.close()
    await t?.database.close()
    if (databaseUrl) await dropServerDatabase(databaseUrl)
  })

  it('answers 503 with Retry-After beyond the limit and stores it not', async () => {
    const release = await lockActivityLog(databaseUrl)
    const accepted: ReturnType<typeof postQuoteSent>[] = []
    try {
      // Events go one at a time, each to a write stuck behind the lock or
      // to the queue behind them, until three wait in the queue.
      while (t.service.activityLog.waitingCount < 3) {
        accepted.push(postQuoteSent(t, `held-${accepted.length + 1}`))
        await waitFor(
          async () =>
            t.service.activityLog.waitingCount +
              (await writesWaitingOnLock(databaseUrl)) ===
            accepted.length,
          'the event to be written or queued',
        )
      }
      const refused = await postQuoteSent(t, 'one-too-many')

      assert.equal(refused.statusCode, 503)
      assert.equal(refused.headers['retry-after'], '1')
      assert.match(
        String(refused.headers['content-type']),
        /^application\/problem\+json/,
      )
      assert.match(refused.json().detail, /EVENT_QUEUE_LIMIT/)
    } finally {
      await release()
    }

    const statuses = (await Promise.all(accepted)).map((r) => r.statusCode)
    assert.deepEqual(
      statuses,
      accepted.map(() => 202),
    )
    const stored = await query<{ event_id: string }>(
      t.database,
      'select event_id from activity_events',
    )
    assert.equal(stored.length, accepted.length)
    assert.ok(!stored.some((row) => row.event_id === 'one-too-many'))
  })
})
