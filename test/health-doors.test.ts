import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { ENGINES } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'

for (const engine of ENGINES) {
  describe(`health checks on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine)
    })
    after(() => t.close())

    it('/healthz says the process is up', async () => {
      const response = await t.service.app.inject({
        method: 'GET',
        url: '/healthz',
      })

      assert.equal(response.statusCode, 200)
      assert.deepEqual(response.json(), { status: 'ok' })
    })

    it('/readyz is ready once migrations are applied', async () => {
      const response = await t.service.app.inject({
        method: 'GET',
        url: '/readyz',
      })

      assert.equal(response.statusCode, 200)
      assert.equal(response.json().database, engine)
    })

    it('/readyz answers 503 when a migration is missing', async () => {
      await t.database.orm.execute(
        sql`alter table drizzle.__drizzle_migrations rename to migrations_aside`,
      )
      try {
        const response = await t.service.app.inject({
          method: 'GET',
          url: '/readyz',
        })

        assert.equal(response.statusCode, 503)
        assert.match(String(response.headers['content-type']), /problem\+json/)
      } finally {
        await t.database.orm.execute(
          sql`alter table drizzle.migrations_aside rename to __drizzle_migrations`,
        )
      }
    })
  })
}
