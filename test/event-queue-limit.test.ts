import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { createServerDatabase } from './support/test-database.js'
import { openDatabase } from '../src/storage/database.js'
import {
  startTestService,
  TEST_SECRET,
  waitFor,
  type TestService,
} from './support/test-service.js'
import { dropServerDatabase, query } from './support/test-database.js'

function postEvent(t: TestService, eventId: string) {
  return t.service.app.inject({
    method: 'POST',
    url: '/webhooks/events',
    headers: {
      'content-type': 'application/json',
      'x-webhook-secret': TEST_SECRET,
    },
    payload: { event_type: 'quote.sent', event_id: eventId },
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
    let answers
    try {
      // The first event is being written, and stuck behind the lock.
      const writing = postEvent(t, 'being-written')
      await waitFor(
        async () => (await writesWaitingOnLock(databaseUrl)) > 0,
        'the first write to wait on the lock',
      )
      // Three more fill the queue; the fifth finds it full.
      const queued = ['queued-1', 'queued-2', 'queued-3'].map((id) =>
        postEvent(t, id),
      )
      await waitFor(
        async () => t.service.activityLog.waitingCount === 3,
        'three events to wait in the queue',
      )
      const refused = await postEvent(t, 'one-too-many')

      assert.equal(refused.statusCode, 503)
      assert.equal(refused.headers['retry-after'], '1')
      assert.match(
        String(refused.headers['content-type']),
        /^application\/problem\+json/,
      )
      assert.match(refused.json().detail, /EVENT_QUEUE_LIMIT/)
      answers = [writing, ...queued]
    } finally {
      await release()
    }

    const statuses = (await Promise.all(answers)).map((r) => r.statusCode)
    assert.deepEqual(statuses, [202, 202, 202, 202])
    const stored = await query<{ event_id: string }>(
      t.database,
      'select event_id from activity_events order by event_id',
    )
    assert.deepEqual(
      stored.map((row) => row.event_id),
      ['being-written', 'queued-1', 'queued-2', 'queued-3'],
    )
  })
})
