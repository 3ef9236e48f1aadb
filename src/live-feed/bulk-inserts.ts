/**
 * The activity log's bulk statement, written as SQL that takes a whole batch
 * as JSON parameters. Building a multi-row INSERT with a query builder costs
 * CPU per row and column, and every statement costs a round trip; here a
 * batch of any size, with its rule runs, is one statement on PostgreSQL and
 * PGlite alike. Its text never changes, so a connection that runs it on its
 * own prepares it once: planning it costs about as much as running a batch
 * of fifteen events.
 */
import type { PreparedStatement, StatementRunner } from '../storage/database.js'

/** An activity_events row about to be inserted. */
export interface EventInsert {
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

/** A rule_runs row about to be inserted with the event `eventIndex`. */
export interface RuleRunInsert {
  /** Position of the run's event in the batch. */
  eventIndex: number
  ruleId: string
  rule: unknown
  /** Its job's id when the job is queued with it; null leaves it to the relay. */
  jobId: string | null
}

/** What became of one event of a batch. */
export interface InsertedEvent {
  /** The id taken for it; when it was a repeat, not stored anywhere. */
  id: number
  inserted: boolean
  /** The first copy of a repeat, when this statement could see it. */
  first: StoredCopy | null
  /** The rule runs stored with it, in no particular order. */
  ruleRuns: { id: number; jobId: string | null }[]
}

/** The stored event that a repeat's dedupe key names. */
export interface StoredCopy {
  id: number
  eventType: string | null
  recognised: boolean
  bodySha256: string | null
  dedupeKey: string
}

/**
 * Inserts `rows`, skipping those whose dedupe key is already stored, and the
 * rule runs of the rows inserted; answers for each row in order. Rows go in
 * dedupe-key order, so that two batches written at once take their keys'
 * locks in the same order and cannot deadlock on a key sent to both.
 *
 * A repeat's first copy is looked up in the statement's own snapshot, which
 * misses a copy inserted by this same statement or committed while it ran:
 * `first` is null then, and the caller looks again.
 */
export async function insertBatch(
  run: StatementRunner,
  rows: EventInsert[],
  runs: RuleRunInsert[],
): Promise<InsertedEvent[]> {
  const result = await run(BATCH_STATEMENT, [eventsJson(rows), runsJson(runs)])

  return (result.rows as BatchRow[]).map((row, i) =>
    toInsertedEvent(row, rows[i]!),
  )
}

// $1: the events as a JSON array; $2: their rule runs, likewise.
const BATCH_STATEMENT: PreparedStatement = {
  name: 'activity-events-batch',
  text: `
    with input as (
      select nextval(pg_get_serial_sequence('activity_events', 'id')) as id,
        e.*
      from json_to_recordset($1::json) as e(ord int,
        door text, event_type text, raw_event_type text, recognised boolean,
        event_id text, source text, work_order_id text,
        occurred_at timestamptz, dedupe_key text, body_sha256 text,
        payload jsonb, derived_from_event_id bigint, request_id text)
    ),
    inserted as (
      insert into activity_events (id, door, event_type, raw_event_type,
        recognised, event_id, source, work_order_id, occurred_at,
        dedupe_key, body_sha256, payload, derived_from_event_id, request_id)
      select id, door, event_type, raw_event_type, recognised, event_id,
        source, work_order_id, occurred_at, dedupe_key, body_sha256,
        payload, derived_from_event_id, request_id
      from input
      order by dedupe_key
      on conflict (dedupe_key) do nothing
      returning id
    ),
    runs as (
      insert into rule_runs (event_id, rule_id, rule, job_id)
      select inserted.id, r.rule_id, r.rule, r.job_id
      from json_to_recordset($2::json) as r(ord int,
        rule_id text, rule jsonb, job_id uuid)
      join input using (ord)
      join inserted on inserted.id = input.id
      returning id, event_id, job_id
    )
    select input.ord, input.id::text, inserted.id is not null as inserted,
      first.id::text as first_id, first.event_type as first_event_type,
      first.recognised as first_recognised,
      first.body_sha256 as first_body_sha256,
      runs_of.runs
    from input
    left join inserted on inserted.id = input.id
    left join (
      select event_id, json_agg(json_build_array(id::text, job_id)) as runs
      from runs group by event_id
    ) runs_of on runs_of.event_id = input.id
    left join lateral (
      -- Looked up only for the repeats; the key is unique.
      select * from activity_events
      where inserted.id is null and dedupe_key = input.dedupe_key
      limit 1
    ) first on true
    order by input.ord`,
}

interface BatchRow {
  ord: number
  id: string
  inserted: boolean
  first_id: string | null
  first_event_type: string | null
  first_recognised: boolean | null
  first_body_sha256: string | null
  runs: [string, string | null][] | null
}

function toInsertedEvent(row: BatchRow, sent: EventInsert): InsertedEvent {
  return {
    id: Number(row.id),
    inserted: row.inserted,
    first:
      row.first_id === null
        ? null
        : {
            id: Number(row.first_id),
            eventType: row.first_event_type,
            recognised: row.first_recognised!,
            bodySha256: row.first_body_sha256,
            dedupeKey: sent.dedupeKey!,
          },
    ruleRuns: (row.runs ?? []).map(([id, jobId]) => ({
      id: Number(id),
      jobId,
    })),
  }
}

function eventsJson(rows: EventInsert[]): string {
  return JSON.stringify(
    rows.map((row, ord) => ({
      ord,
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
}

function runsJson(runs: RuleRunInsert[]): string {
  return JSON.stringify(
    runs.map((run) => ({
      ord: run.eventIndex,
      rule_id: run.ruleId,
      rule: run.rule,
      job_id: run.jobId,
    })),
  )
}
