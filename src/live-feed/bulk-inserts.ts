/**
 * The activity log's two bulk statements, written as SQL that takes a whole
 * batch as one JSON parameter. Building a multi-row INSERT with a query
 * builder costs CPU per row and column; here a batch of any size is one
 * short statement with one parameter, the same on PostgreSQL and PGlite.
 */
import { sql } from 'drizzle-orm'
import { rowsOf, type Orm } from '../storage/database.js'

/** An activity_events row about to be inserted, its id already taken. */
export interface EventInsert {
  id: number
  door: string
  eventType: string | null
  rawEventType: string
  recognised: boolean
  eventId: string | null
  source: string | null
  workOrderId: string | null
  occurredAt: Date | null
  dedupeKey: string | null
  bodySha256: string | null
  payload: Record<string, unknown>
  derivedFromEventId: number | null
  requestId: string | null
}

/** A rule_runs row about to be inserted. */
export interface RuleRunInsert {
  eventId: number
  ruleId: string
  rule: unknown
  jobId: string
}

/**
 * Inserts `rows`, skipping those whose dedupe key is already stored, and
 * returns the ids of the rows inserted. Rows go in dedupe-key order, so that
 * two batches written at once take their keys' locks in the same order and
 * cannot deadlock on a key sent to both.
 */
export async function insertEvents(
  tx: Orm,
  rows: EventInsert[],
): Promise<number[]> {
  const batch = JSON.stringify(
    rows.map((row) => ({
      id: row.id,
      door: row.door,
      event_type: row.eventType,
      raw_event_type: row.rawEventType,
      recognised: row.recognised,
      event_id: row.eventId,
      source: row.source,
      work_order_id: row.workOrderId,
      occurred_at: row.occurredAt,
      dedupe_key: row.dedupeKey,
      body_sha256: row.bodySha256,
      payload: row.payload,
      derived_from_event_id: row.derivedFromEventId,
      request_id: row.requestId,
    })),
  )

  const result = await tx.execute(sql`
    insert into activity_events (id, door, event_type, raw_event_type,
      recognised, event_id, source, work_order_id, occurred_at, dedupe_key,
      body_sha256, payload, derived_from_event_id, request_id)
    select id, door, event_type, raw_event_type, recognised, event_id,
      source, work_order_id, occurred_at, dedupe_key, body_sha256, payload,
      derived_from_event_id, request_id
    from json_to_recordset(${batch}::json) as e(id bigint, door text,
      event_type text, raw_event_type text, recognised boolean,
      event_id text, source text, work_order_id text,
      occurred_at timestamptz, dedupe_key text, body_sha256 text,
      payload jsonb, derived_from_event_id bigint, request_id text)
    order by dedupe_key
    on conflict (dedupe_key) do nothing
    returning id::text`)

  return rowsOf<{ id: string }>(result).map((row) => Number(row.id))
}

/** Inserts `runs` and returns each one's id with its job id. */
export async function insertRuleRuns(
  tx: Orm,
  runs: RuleRunInsert[],
): Promise<{ id: number; jobId: string }[]> {
  const batch = JSON.stringify(
    runs.map((run) => ({
      event_id: run.eventId,
      rule_id: run.ruleId,
      rule: run.rule,
      job_id: run.jobId,
    })),
  )

  const result = await tx.execute(sql`
    insert into rule_runs (event_id, rule_id, rule, job_id)
    select event_id, rule_id, rule, job_id
    from json_to_recordset(${batch}::json) as r(event_id bigint,
      rule_id text, rule jsonb, job_id uuid)
    returning id::text, job_id::text`)

  return rowsOf<{ id: string; job_id: string }>(result).map((row) => ({
    id: Number(row.id),
    jobId: row.job_id,
  }))
}
