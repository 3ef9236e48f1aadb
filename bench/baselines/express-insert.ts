/**
 * What a team would write by hand: Express 5, `express.json()`, the shared
 * secret checked, and one `INSERT` per event on a pool of 10 connections
 * to the database at DATABASE_URL, in a table of its own.
 *
 *     DATABASE_URL=postgres://... PORT=0 \
 *       node --import tsx bench/baselines/express-insert.ts
 */
import express from 'express'
import pg from 'pg'
import {
  BASELINE_EVENTS_TABLE,
  createBaselineEventsTable,
} from './baseline-events-table.js'

const secret = process.env.WEBHOOK_SECRET
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: 10,
})

await createBaselineEventsTable(pool)

const app = express()
app.use(express.json())

app.post('/webhooks/events', async (request, response) => {
  if (request.get('x-webhook-secret') !== secret) {
    response.status(401).json({ error: 'wrong secret' })

    return
  }

  const event = request.body ?? {}
  if (typeof event.event_type !== 'string') {
    response.status(422).json({ error: 'event_type is required' })

    return
  }

  const { rows } = await pool.query(
    `insert into ${BASELINE_EVENTS_TABLE}
       (event_type, event_id, source, payload)
     values ($1, $2, $3, $4) returning id`,
    [event.event_type, event.event_id ?? null, event.source ?? null, event],
  )
  response.status(202).json({ id: Number(rows[0].id) })
})

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  console.log(`Express listening at http://127.0.0.1:${port}`)
})

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => server.close(() => void pool.end()))
}
