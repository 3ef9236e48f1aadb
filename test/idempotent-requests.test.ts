import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { PRUNE_IDEMPOTENCY_KEYS } from '../src/service.js'
import { openDatabase } from '../src/storage/database.js'
import {
  createServerDatabase,
  dropServerDatabase,
  ENGINES,
  query,
  resetTables,
} from './support/test-database.js'
import {
  startTestService,
  waitFor,
  type TestService,
} from './support/test-service.js'

const BODY = JSON.stringify({
  title: 'Check the Pantone match',
  source: 'printbrain',
})
const FINGERPRINT = createHash('sha256').update(BODY).digest('hex')

function post(t: TestService, key: string, body = BODY) {
  return t.service.app.inject({
    method: 'POST',
    url: '/api/inbox/insights',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    payload: body,
  })
}

async function inboxCount(t: TestService): Promise<number> {
  return (await query(t.database, 'select 1 from inbox_items')).length
}

for (const engine of ENGINES) {
  describe(`Idempotency-Key on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine)
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('answers 409 while the first request with the key is still running', async () => {
      await t.database.orm.execute(sql`
        insert into idempotency_keys (door, key, body_sha256, state, expires_at)
        values ('api.inbox.insights', 'in-flight', ${FINGERPRINT},
          'processing', now() + interval '1 hour')`)

      const response = await post(t, 'in-flight')

      assert.equal(response.statusCode, 409)
      assert.equal(response.headers['retry-after'], '1')
      assert.equal(await inboxCount(t), 0)
    })

    it('lets a repeat run when the first request died long ago', async () => {
      await t.database.orm.execute(sql`
        insert into idempotency_keys
          (door, key, body_sha256, state, locked_at, expires_at)
        values ('api.inbox.insights', 'abandoned', ${FINGERPRINT},
          'processing', now() - interval '1 hour', now() + interval '1 hour')`)

      const response = await post(t, 'abandoned')

      assert.equal(response.statusCode, 201)
      assert.equal(await inboxCount(t), 1)
    })

    it('treats a key whose time is up as new', async () => {
      await t.database.orm.execute(sql`
        insert into idempotency_keys
          (door, key, body_sha256, state, response_status, response_body,
           response_type, expires_at)
        values ('api.inbox.insights', 'old-key', 'another-body', 'done', 201,
          '{}', 'application/json', now() - interval '1 minute')`)

      const response = await post(t, 'old-key')

      assert.equal(response.statusCode, 201)
      assert.notEqual(response.headers['idempotent-replayed'], 'true')
    })

    it('gives the key up after a fault of ours, so a retry runs', async () => {
      await t.database.orm.execute(
        sql`alter table inbox_items rename to inbox_aside`,
      )
      let failed
      try {
        failed = await post(t, 'after-fault')
      } finally {
        await t.database.orm.execute(
          sql`alter table inbox_aside rename to inbox_items`,
        )
      }
      const retried = await post(t, 'after-fault')

      assert.equal(failed.statusCode, 500)
      assert.equal(retried.statusCode, 201)
      assert.equal(retried.headers['idempotent-replayed'], undefined)
    })

    it('stores nothing for a body refused before it ran, as Stripe does', async () => {
      const invalid = JSON.stringify({ title: 'No source' })
      const refused = await post(t, 'fix-and-retry', invalid)
      const fixed = await post(t, 'fix-and-retry')

      assert.equal(refused.statusCode, 422)
      assert.equal(fixed.statusCode, 201)
    })

    it('keeps keys of different doors apart', async () => {
      await t.database.orm.execute(sql`
        insert into idempotency_keys (door, key, body_sha256, state, expires_at)
        values ('api.pricing.quote', 'shared', 'x', 'processing',
          now() + interval '1 hour')`)

      const response = await post(t, 'shared')

      assert.equal(response.statusCode, 201)
    })

    it('prunes expired keys in the scheduled job', async () => {
      await t.database.orm.execute(sql`
        insert into idempotency_keys (door, key, body_sha256, state, expires_at)
        values ('api.inbox.insights', 'expired', 'x', 'done',
          now() - interval '1 minute'),
          ('api.inbox.insights', 'fresh', 'x', 'done',
          now() + interval '1 hour')`)

      await t.service.jobs.runNow(PRUNE_IDEMPOTENCY_KEYS)

      const left = await waitFor(async () => {
        const rows = await query<{ key: string }>(
          t.database,
          'select key from idempotency_keys order by key',
        )

        return rows.length === 1 && rows
      }, 'the expired key to be pruned')
      assert.deepEqual(left, [{ key: 'fresh' }])
    })
  })
}

describe('Idempotency-Key across two server processes on one PostgreSQL', () => {
  let url: string
  let one: TestService
  let two: TestService

  before(async () => {
    url = await createServerDatabase()
    one = await startTestService('postgres', {
      database: await openDatabase({ databaseUrl: url }),
    })
    two = await startTestService('postgres', {
      database: await openDatabase({ databaseUrl: url }),
    })
  })
  after(async () => {
    await one.close()
    await two.close()
    await one.database.close()
    await two.database.close()
    await dropServerDatabase(url)
  })

  it('never runs concurrent duplicates twice', async () => {
    for (let round = 0; round < 5; round++) {
      const key = randomUUID()
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => post(i % 2 ? one : two, key)),
      )

      const statuses = new Set(answers.map((answer) => answer.statusCode))
      const created = answers.filter((answer) => answer.statusCode === 201)
      const originals = created.filter(
        (answer) => answer.headers['idempotent-replayed'] !== 'true',
      )
      assert.ok(
        [...statuses].every((status) => status === 201 || status === 409),
      )
      assert.equal(originals.length, 1, 'exactly one request ran')
      assert.equal(new Set(created.map((answer) => answer.body)).size, 1)
    }

    const [row] = await query<{ n: number }>(
      one.database,
      'select count(*)::int as n from inbox_items',
    )
    assert.equal(row!.n, 5)
  })
})
