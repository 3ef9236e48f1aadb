import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { openDatabase, type DatabaseLocation } from '../src/storage/database.js'
import {
  createServerDatabase,
  dropServerDatabase,
  query,
  type Engine,
} from './support/test-database.js'
import {
  startTestService,
  TEST_SECRET,
  waitFor,
} from './support/test-service.js'
import { childEnv } from './support/child-env.js'

async function withLocation(
  engine: Engine,
  work: (location: DatabaseLocation) => Promise<void>,
) {
  if (engine === 'postgres') {
    const databaseUrl = await createServerDatabase()
    try {
      await work({ databaseUrl })
    } finally {
      await dropServerDatabase(databaseUrl)
    }

    return
  }

  const dir = await mkdtemp(path.join(tmpdir(), 'pressos-pglite-'))
  try {
    await work({ pgliteDir: dir })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

for (const engine of ['pglite', 'postgres'] as const) {
  describe(`restart on ${engine}`, () => {
    it('keeps an acknowledged event and its finished rule run', async () => {
      await withLocation(engine, async (location) => {
        const first = await openDatabase(location)
        const t = await startTestService(engine, { database: first })
        const response = await t.service.app.inject({
          method: 'POST',
          url: '/webhooks/events',
          headers: {
            'content-type': 'application/json',
            'x-webhook-secret': TEST_SECRET,
          },
          payload: { event_type: 'lead.new_inquiry', data: { name: 'Rosa' } },
        })
        assert.equal(response.statusCode, 202)
        await waitFor(async () => {
          const runs = await query<any>(first, 'select status from rule_runs')

          return runs.length > 0 && runs.every((run) => run.status === 'done')
        }, 'rule runs to finish')
        await t.close()
        await first.close()

        const again = await openDatabase(location)
        const restarted = await startTestService(engine, { database: again })
        try {
          const ready = await restarted.service.app.inject({ url: '/readyz' })
          assert.equal(ready.statusCode, 200)
          const events = await query<any>(
            again,
            'select id::int, event_type from activity_events',
          )
          assert.deepEqual(events, [
            { id: response.json().id, event_type: 'lead.new_inquiry' },
          ])
          const runs = await query<any>(again, 'select status from rule_runs')
          assert.ok(runs.length > 0)
          assert.ok(runs.every((run) => run.status === 'done'))
        } finally {
          await restarted.close()
          await again.close()
        }
      })
    })
  })
}

describe('graceful shutdown of the real process', () => {
  it('answers what is in flight on SIGTERM and loses none of it', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pressos-shutdown-'))
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: childEnv({
        PORT: '0',
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        WEBHOOK_SECRET: TEST_SECRET,
      }),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const lines = createInterface({ input: child.stdout! })
    const logged: string[] = []
    const address = await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        logged.push(line)
        const match = /events door at (http:\/\/[^/]+)/.exec(line)
        if (match) resolve(match[1]!)
      })
      child.on('exit', (code) => reject(new Error(`exited early with ${code}`)))
    })
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', resolve),
    )

    const sends = Array.from({ length: 30 }, (_, i) =>
      fetch(`${address}/webhooks/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-webhook-secret': TEST_SECRET,
        },
        body: JSON.stringify({ event_type: 'quote.sent', event_id: `q-${i}` }),
      }).then(
        (r) => r.status,
        () => 0,
      ),
    )
    // Signal as soon as the server is answering, with the rest in flight.
    await Promise.race(sends)
    child.kill('SIGTERM')
    const statuses = await Promise.all(sends)

    assert.equal(await exited, 0, `the service logged:\n${logged.join('\n')}`)
    assert.ok(logged.some((line) => line.includes('shutting down')))
    const acknowledged = statuses.filter((status) => status === 202).length
    assert.ok(acknowledged > 0, 'requests were answered')
    assert.ok(
      statuses.every((status) => [202, 503, 0].includes(status)),
      `answers were ${statuses.join(', ')}`,
    )

    const database = await openDatabase({
      pgliteDir: path.join(dataDir, 'pglite'),
    })
    try {
      const [row] = await query<any>(
        database,
        'select count(*)::int as n from activity_events',
      )
      assert.ok(
        row.n >= acknowledged,
        `${acknowledged} acknowledged, ${row.n} stored`,
      )
    } finally {
      await database.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
