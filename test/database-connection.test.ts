import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import pg from 'pg'
import { openDatabase } from '../src/storage/database.js'
import {
  createServerDatabase,
  dropServerDatabase,
  query,
  TEST_DATABASE_URL,
} from './support/test-database.js'
import { postEvent } from './support/event-requests.js'
import { startTestService, waitFor } from './support/test-service.js'

describe('the PostgreSQL connection', () => {
  it('survives the server dropping an idle connection, and reports it', async () => {
    const url = await createServerDatabase()
    const lost: Error[] = []
    const database = await openDatabase({
      databaseUrl: url,
      onConnectionLost: (error) => lost.push(error),
    })
    try {
      await query(database, 'select 1')
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await admin.connect()
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where datname = $1 and pid <> pg_backend_pid()`,
        [new URL(url).pathname.slice(1)],
      )
      await admin.end()

      await waitFor(async () => lost.length > 0, 'the pool to notice')
      const [row] = await query<{ ok: number }>(database, 'select 1 as ok')
      assert.equal(row!.ok, 1, 'a new connection serves the next query')
    } finally {
      await database.close()
      await dropServerDatabase(url)
    }
  })

  it('answers 503 with Retry-After once its database has been dropped', async () => {
    const url = await createServerDatabase()
    const database = await openDatabase({ databaseUrl: url })
    const t = await startTestService('postgres', { database })
    try {
      await dropServerDatabase(url)

      const response = await postEvent(t.service.app, {
        event_type: 'quote.sent',
        event_id: 'after-the-drop',
        source: 'printpath',
      })

      assert.equal(response.statusCode, 503, response.body)
      assert.ok(response.headers['retry-after'], 'says when to try again')
      assert.match(
        String(response.headers['content-type']),
        /^application\/problem\+json/,
      )
    } finally {
      await t.close().catch(() => {})
      await database.close().catch(() => {})
    }
  })
})
