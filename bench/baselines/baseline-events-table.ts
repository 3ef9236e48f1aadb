/**
 * The table the database baselines store events in, one row an event, and
 * the statement that makes it.
 */
import type pg from 'pg'

export const BASELINE_EVENTS_TABLE = 'baseline_events'

/** Creates the baselines' table on `pool`'s database if it is missing. */
export async function createBaselineEventsTable(pool: pg.Pool) {
  await pool.query(`
    create table if not exists ${BASELINE_EVENTS_TABLE} (
      id bigserial primary key,
      event_type text not null,
      event_id text unique,
      source text,
      payload jsonb not null,
      received_at timestamptz not null default now()
    )`)
}
