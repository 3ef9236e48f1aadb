/**
 * A count of everything the service has stored: the rows of every table
 * it writes, and the jobs it queued. Taken before and after a request, it
 * shows whether the request stored anything at all.
 */
import { PRUNE_IDEMPOTENCY_KEYS } from '../../src/service.js'
import type { Database } from '../../src/storage/database.js'
import { query } from './test-database.js'

/**
 * Tables left out of the count: the door journal keeps a note of every
 * refusal on purpose (the console's rejected requests), which is a record
 * of the refusal, not of what the request carried.
 */
export const JOURNAL_TABLES = ['door_refusals', 'door_traffic']

/** Rows per table (`public.*`), and `pgboss.job` for queued jobs. */
export type StoredRows = Record<string, number>

/** Counts the rows of every table of `database` in one query. */
export async function countStoredRows(database: Database): Promise<StoredRows> {
  const tables = await storedTables(database)
  const counts = tables.map(
    (table) => `select '${table}' as name, count(*)::int as n from ${table}`,
  )
  // The scheduled clean-up puts a job on the queue by the clock, by itself.
  counts.push(
    `select 'pgboss.job' as name, count(*)::int as n from pgboss.job
     where name <> '${PRUNE_IDEMPOTENCY_KEYS}'`,
  )
  const rows = await query<{ name: string; n: number }>(
    database,
    counts.join(' union all '),
  )

  return Object.fromEntries(rows.map((row) => [row.name, Number(row.n)]))
}

/** The tables whose count differs between `before` and `after`. */
export function changedTables(before: StoredRows, after: StoredRows): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)])

  return [...names].filter((name) => before[name] !== after[name])
}

const tableCache = new WeakMap<Database, Promise<string[]>>()

function storedTables(database: Database): Promise<string[]> {
  let tables = tableCache.get(database)
  if (!tables) {
    tables = query<{ name: string }>(
      database,
      `select quote_ident(tablename) as name from pg_tables
       where schemaname = 'public' order by tablename`,
    ).then((rows) =>
      rows
        .map((row) => row.name)
        .filter((name) => !JOURNAL_TABLES.includes(name)),
    )
    tableCache.set(database, tables)
  }

  return tables
}
