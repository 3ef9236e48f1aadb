/**
 * The connection to PostgreSQL: a real server when a URL is given, otherwise
 * the embedded PGlite kept in a folder (or in memory).
 *
 * Drizzle ORM is the typed SQL layer because it ships first-party drivers for
 * both node-postgres and PGlite, so one schema, one set of queries and one
 * set of migrations serve both.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { Param, SQL, sql } from 'drizzle-orm'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import pg from 'pg'
import { isDatabaseOutage } from './database-outage.js'
import * as schema from './schema.js'

/** A Drizzle handle on the database or on an open transaction. */
export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>

/** Runs one SQL text with `$n` parameters; the shape pg-boss expects. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>
}

/**
 * A statement run so often that each connection should parse and plan it
 * once: `name` must be unique to this text in the process.
 */
export interface PreparedStatement {
  name: string
  text: string
}

/** Runs `statement` with its `$n` parameters. */
export type StatementRunner = (
  statement: PreparedStatement,
  values: unknown[],
) => Promise<{ rows: any[] }>

/** An open database, whichever engine runs it. */
export interface Database {
  engine: 'postgres' | 'pglite'
  orm: Orm
  /** Executor on the database's own connections, for the job queue. */
  executor: SqlExecutor
  /**
   * Runs a statement on its own, outside any transaction. On PostgreSQL
   * each pooled connection prepares it the first time and reuses its plan
   * after that; on the embedded database it runs like any other query.
   */
  runPrepared: StatementRunner
  /**
   * Brings the schema up to date, then runs `setUp` (other one-time set-up,
   * like the job queue's own tables) before another process may begin its
   * own; safe to call from several processes at once.
   */
  migrate(setUp?: () => Promise<void>): Promise<void>
  /** True when the database answers and every migration is applied. */
  isReady(): Promise<boolean>
  /**
   * Hears every `NOTIFY` on `channel`, from any process on the database;
   * the returned function stops listening.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
  ): Promise<Unlisten>
  close(): Promise<void>
}

/** Stops a `listen`. */
export type Unlisten = () => Promise<void>

/** Where a database lives. */
export interface DatabaseLocation {
  /** PostgreSQL URL; when absent, the embedded database is used. */
  databaseUrl?: string | undefined
  /** Folder of the embedded database; absent keeps it in memory. */
  pgliteDir?: string | undefined
  /**
   * Hears of idle connections the server dropped (a restart, say); the pool
   * replaces them, so this is for the log only.
   */
  onConnectionLost?: (error: Error) => void
}

const MIGRATIONS_FOLDER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../drizzle',
)

/** How long opening a connection to the server may take, in milliseconds. */
const CONNECT_TIMEOUT_MS = 5_000

// An arbitrary constant shared by every process migrating the same server.
const MIGRATION_LOCK_ID = 5_318_008_017

/** Opens the database that `location` names. */
export async function openDatabase(
  location: DatabaseLocation,
): Promise<Database> {
  if (location.databaseUrl) {
    return openPostgres(location.databaseUrl, location.onConnectionLost)
  }

  return openPglite(location.pgliteDir)
}

function openPostgres(
  url: string,
  onConnectionLost: (error: Error) => void = () => {},
): Database {
  // A server that cannot be reached fails a request within seconds, so
  // that it is answered 503 rather than left hanging.
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  })
  // Without a listener, a dropped idle connection would end the process.
  pool.on('error', onConnectionLost)
  // The pool hears only idle connections; one dropped while checked out
  // (inside a transaction, between statements) needs a listener of its own.
  // Its queries fail on their own and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => {}))
  const orm = drizzlePg(pool, { schema }) as unknown as Orm
  orm.transaction = transactionsOnOwnClients(pool)

  const migrate = async (setUp?: () => Promise<void>) => {
    const client = await pool.connect()
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID])
      await migratePg(drizzlePg(client), {
        migrationsFolder: MIGRATIONS_FOLDER,
      })
      await setUp?.()
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID])
      client.release()
    }
  }

  return {
    engine: 'postgres',
    orm,
    executor: { executeSql: (text, values) => pool.query(text, values) },
    runPrepared: ({ name, text }, values) => pool.query({ name, text, values }),
    migrate,
    isReady: () => hasAllMigrations(orm),
    listen: (channel, onPayload) =>
      listenOnServer(url, channel, onPayload, onConnectionLost),
    close: () => pool.end(),
  }
}

/**
 * Drizzle's pooled `transaction` sends BEGIN before the block that gives its
 * connection back, so a BEGIN that fails on a dropped connection keeps that
 * connection out of the pool for good, and a few such failures in an outage
 * leave the pool empty. Here each transaction checks out its own connection
 * and always returns it; a connection that failed is discarded.
 * TODO: drop this when drizzle-orm's node-postgres session releases the
 * client on a failed BEGIN (drizzle-team/drizzle-orm#6241).
 */
function transactionsOnOwnClients(pool: pg.Pool): Orm['transaction'] {
  const ormOf = new WeakMap<pg.PoolClient, Orm>()

  return async (work, config) => {
    const client = await pool.connect()
    let failure: Error | undefined
    try {
      let orm = ormOf.get(client)
      if (!orm) {
        orm = drizzlePg(client, { schema }) as unknown as Orm
        ormOf.set(client, orm)
      }

      return await orm.transaction(work, config)
    } catch (error) {
      failure = error as Error
      throw error
    } finally {
      client.release(failure && isDatabaseOutage(failure) ? failure : undefined)
    }
  }
}

// A listener holds a connection of its own, outside the pool, and opens a
// new one whenever the server drops it.
async function listenOnServer(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  onConnectionLost: (error: Error) => void,
): Promise<Unlisten> {
  let client: pg.Client | undefined
  let stopped = false
  let retry: NodeJS.Timeout | undefined

  const connect = async () => {
    const next = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    })
    next.on('notification', (message) => onPayload(message.payload ?? ''))
    next.on('error', (error) => {
      onConnectionLost(error)
      next.end().catch(() => {})
      if (!stopped) retry = setTimeout(reconnect, 1_000)
    })
    await next.connect()
    await next.query(`listen ${pg.escapeIdentifier(channel)}`)
    client = next
  }
  const reconnect = () => {
    connect().catch((error: Error) => {
      onConnectionLost(error)
      if (!stopped) retry = setTimeout(reconnect, 1_000)
    })
  }

  await connect()

  return async () => {
    stopped = true
    clearTimeout(retry)
    await client?.end().catch(() => {})
  }
}

async function openPglite(dir: string | undefined): Promise<Database> {
  if (dir !== undefined) mkdirSync(dir, { recursive: true })
  const client = await PGlite.create(dir ?? 'memory://')
  const orm = drizzlePglite(client, { schema }) as unknown as Orm

  const executeSql = async (text: string, values?: unknown[]) => {
    // PGlite's query() takes one statement; pg-boss also sends scripts of
    // several statements without parameters, which only exec() runs.
    if (values === undefined || values.length === 0) {
      const results = await client.exec(text)

      return results[results.length - 1] ?? { rows: [] }
    }

    return client.query(text, values)
  }

  return {
    engine: 'pglite',
    orm,
    executor: { executeSql },
    runPrepared: ({ text }, values) => client.query(text, values),
    migrate: async (setUp) => {
      await migratePglite(drizzlePglite(client), {
        migrationsFolder: MIGRATIONS_FOLDER,
      })
      await setUp?.()
    },
    isReady: () => hasAllMigrations(orm),
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    close: () => client.close(),
  }
}

async function hasAllMigrations(orm: Orm): Promise<boolean> {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER })
  try {
    const result = await orm.execute(
      sql`select hash from drizzle.__drizzle_migrations`,
    )
    const applied = new Set(rowsOf<{ hash: string }>(result).map((r) => r.hash))

    return expected.every((migration) => applied.has(migration.hash))
  } catch {
    return false
  }
}

/** The rows of a raw `execute` result, whichever driver produced it. */
export function rowsOf<Row>(result: unknown): Row[] {
  return (result as { rows: Row[] }).rows
}

/**
 * An executor that runs SQL through `orm`, so that work handed to another
 * library (the job queue) joins the caller's open transaction.
 */
export function executorFor(orm: Orm): SqlExecutor {
  return {
    async executeSql(text, values = []) {
      const result = await orm.execute(bindParameters(text, values))

      return { rows: rowsOf(result) }
    },
  }
}

/**
 * A runner that sends statements through `orm`, inside its transaction
 * when it is one; they are not prepared then.
 */
export function runnerFor(orm: Orm): StatementRunner {
  const executor = executorFor(orm)

  return ({ text }, values) => executor.executeSql(text, values)
}

function bindParameters(text: string, values: unknown[]): SQL {
  const chunks: SQL[] = []
  let cursor = 0

  for (const match of text.matchAll(/\$(\d+)/g)) {
    const index = Number(match[1]) - 1
    chunks.push(sql.raw(text.slice(cursor, match.index)))
    chunks.push(sql`${new Param(values[index])}`)
    cursor = match.index + match[0].length
  }
  chunks.push(sql.raw(text.slice(cursor)))

  return sql.join(chunks)
}
