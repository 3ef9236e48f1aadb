/**
 * The rows a target stored for a load run, matched with the answers the
 * load driver counted: every acknowledged request must have exactly one
 * row, and no refused request any.
 */
import type { SqlExecutor } from '../src/storage/database.js'
import { BASELINE_EVENTS_TABLE } from './baselines/baseline-events-table.js'
import type { LoadReport } from './load.js'
import { smsSidOf, type ScenarioName } from './scenarios.js'

/** Where one kind of target keeps the rows of one scenario. */
export interface RowStore {
  /** The table and condition, as SQL after `from`. */
  from: string
  /** The SQL expression holding each row's request key. */
  key: string
  /** The key a request id is stored under. */
  keyOf(id: string): string
  /**
   * The rule runs of the run's rows, as SQL after `from` with the run's key
   * pattern as $1, for stores whose rows set off follow-ups.
   */
  ruleRuns?: string
}

const sameId = (id: string) => id

/** The service's tables, by scenario. */
export const SERVICE_ROW_STORES: Record<ScenarioName, RowStore> = {
  events: {
    from: `activity_events where door = 'webhooks.events'`,
    key: 'event_id',
    keyOf: sameId,
    ruleRuns: `rule_runs r join activity_events e on e.id = r.event_id
      where e.door = 'webhooks.events' and e.event_id like $1`,
  },
  sms: {
    from: `sms_messages where direction = 'inbound'`,
    key: 'message_sid',
    keyOf: smsSidOf,
  },
  quote: {
    from: 'pricing_quotes where true',
    key: `request->>'reference'`,
    keyOf: sameId,
  },
}

/** The database baselines' table. */
export const BASELINE_ROW_STORE: RowStore = {
  from: `${BASELINE_EVENTS_TABLE} where true`,
  key: 'event_id',
  keyOf: sameId,
}

/** How the stored rows of a run compare with its answers. */
export interface StoredRows {
  /** Rows of this run, warm-up included. */
  total: number
  /** Rows of requests answered with a 2xx. */
  acknowledged: number
  /** Rows of requests refused (must be 0). */
  refused: number
  /** Rows of requests in flight when a phase ended (may be 0 or more). */
  unanswered: number
  /** Acknowledged requests with more than one row (must be 0). */
  duplicated: number
  /** The follow-ups of the run's rows once the target stopped. */
  followUps: FollowUps | null
}

/** Rule runs stored, those given a job, and those done. */
export interface FollowUps {
  runs: number
  queued: number
  done: number
}

/** Counts the rows `store` holds for the run that `report` describes. */
export async function countStoredRows(
  executor: SqlExecutor,
  store: RowStore,
  report: LoadReport,
  tag: string,
): Promise<StoredRows> {
  const ofRun = `${store.from} and ${store.key} like $1`
  const prefix = [`${store.keyOf(`${tag}-`)}%`]
  const total = await countRows(executor, ofRun, prefix)
  const among = (ids: string[]) =>
    countRows(
      executor,
      `${store.from} and ${store.key} in ` +
        `(select jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(ids.map(store.keyOf))],
    )
  const refused = await among(report.refusedIds)
  const unanswered = await among(report.unansweredIds)
  const duplicated = await countRows(
    executor,
    `(select ${store.key} as key from ${ofRun} group by 1
      having count(*) > 1) as repeats`,
    prefix,
  )

  return {
    total,
    acknowledged: total - refused - unanswered,
    refused,
    unanswered,
    duplicated,
    followUps: store.ruleRuns
      ? await countFollowUps(executor, store.ruleRuns, prefix)
      : null,
  }
}

async function countFollowUps(
  executor: SqlExecutor,
  from: string,
  values: unknown[],
): Promise<FollowUps> {
  const { rows } = await executor.executeSql(
    `select count(*)::int as runs, count(r.job_id)::int as queued,
       (count(*) filter (where r.status = 'done'))::int as done
     from ${from}`,
    values,
  )

  return {
    runs: Number(rows[0].runs),
    queued: Number(rows[0].queued),
    done: Number(rows[0].done),
  }
}

async function countRows(
  executor: SqlExecutor,
  from: string,
  values: unknown[],
): Promise<number> {
  const { rows } = await executor.executeSql(
    `select count(*)::int as n from ${from}`,
    values,
  )

  return Number(rows[0].n)
}
