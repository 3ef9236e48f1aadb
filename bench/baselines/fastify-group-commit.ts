/**
 * The fastest durable write we know how to build: Fastify with its defaults,
 * the shared secret checked, and group commit at its leanest. Events that
 * arrive while a write is in flight wait, then go in together as one
 * autocommitted `INSERT` (one statement, one round trip, one flush); each
 * caller is answered once the statement holding its event has committed.
 * No validation beyond `event_type`, no dedupe answer, no jobs, no logs: a
 * ceiling for any service that stores each event before answering.
 *
 *     DATABASE_URL=postgres://... PORT=0 \
 *       node --import tsx bench/baselines/fastify-group-commit.ts
 */
import Fastify from 'fastify'
import pg from 'pg'
import {
  BASELINE_EVENTS_TABLE,
  createBaselineEventsTable,
} from './baseline-events-table.js'

interface Waiting {
  event: Record<string, unknown>
  answer(error: Error | null): void
}

const secret = process.env.WEBHOOK_SECRET
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })

await createBaselineEventsTable(pool)

let waiting: Waiting[] = []
let writing = false
let scheduled = false

async function writeWaiting() {
  writing = true
  while (waiting.length > 0) {
    const batch = waiting
    waiting = []
    const error = await insertAll(batch.map((item) => item.event))
    for (const item of batch) item.answer(error)
  }
  writing = false
}

async function insertAll(events: Record<string, unknown>[]) {
  try {
    await pool.query(
      `insert into ${BASELINE_EVENTS_TABLE}
         (event_type, event_id, source, payload)
       select e->>'event_type', e->>'event_id', e->>'source', e
       from json_array_elements($1::json) as e`,
      [JSON.stringify(events)],
    )

    return null
  } catch (error) {
    return error as Error
  }
}

function store(event: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    waiting.push({
      event,
      answer: (error) => (error ? reject(error) : resolve()),
    })
    if (writing || scheduled) return
    scheduled = true
    // Let requests that are already parsed join this batch.
    setImmediate(() => {
      scheduled = false
      void writeWaiting()
    })
  })
}

const app = Fastify({ logger: false })

app.post('/webhooks/events', async (request, reply) => {
  if (request.headers['x-webhook-secret'] !== secret) {
    return reply.code(401).send({ error: 'wrong secret' })
  }

  const event = (request.body ?? {}) as Record<string, unknown>
  if (typeof event.event_type !== 'string') {
    return reply.code(422).send({ error: 'event_type is required' })
  }

  await store(event)

  return reply.code(202).send({ stored: true })
})

const address = await app.listen({
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
})
console.log(`Fastify group commit listening at ${address}`)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => pool.end()))
}
