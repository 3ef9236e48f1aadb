/**
 * Databases for tests: an in-memory PGlite, or a database of its own on the
 * PostgreSQL server named by TEST_DATABASE_URL, dropped when the test ends.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import {
  openDatabase,
  rowsOf,
  type Database,
} from '../../src/storage/database.js'

/** The engines every storage test runs against. */
export const ENGINES = ['pglite', 'postgres'] as const

export type Engine = (typeof ENGINES)[number]

/** The server tests create their databases on. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A fresh, empty database; closing it also deletes it. */
export async function createTestDatabase(engine: Engine): Promise<Database> {
  if (engine === 'pglite') return openDatabase({})

  const url = await createServerDatabase()
  const database = await openDatabase({ databaseUrl: url })

  return {
    ...database,
    close: async () => {
      await database.close()
      await dropServerDatabase(url)
    },
  }
}

/** Creates an empty database on the test server and returns its URL. */
export async function createServerDatabase(): Promise<string> {
  const name = `pressos_test_${process.pid}_${randomBytes(4).toString('hex')}`
  await withAdmin((client) => client.query(`create database ${name}`))

  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`

  return url.toString()
}

/** Drops the database at `url` from the test server. */
export async function dropServerDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1)
  await withAdmin((client) =>
    client.query(`drop database if exists ${name} with (force)`),
  )
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Empties every table the service writes, between tests. */
export async function resetTables(database: Database): Promise<void> {
  const tables = await query<{ name: string }>(
    database,
    `select quote_ident(tablename) as name from pg_tables
     where schemaname = 'public'`,
  )
  const names = tables.map((table) => table.name).join(', ')
  await retryDeadlock(() =>
    database.orm.execute(sql.raw(`truncate ${names} restart identity cascade`)),
  )
  await database.orm.execute(sql.raw('delete from pgboss.job'))
}

// The service writes its door journal in the background; a truncate that
// meets one of those writes may be chosen as a deadlock victim.
async function retryDeadlock(work: () => Promise<unknown>) {
  for (let attempt = 1; ; attempt++) {
    try {
      await work()

      return
    } catch (error) {
      const code = error as { code?: string; cause?: { code?: string } }
      const deadlock = code.code === '40P01' || code.cause?.code === '40P01'
      if (!deadlock || attempt === 5) throw error
    }
  }
}

/** Runs `text` and returns its rows. */
export async function query<Row = Record<string, unknown>>(
  database: Database,
  text: string,
): Promise<Row[]> {
  return rowsOf<Row>(await database.orm.execute(sql.raw(text)))
}
