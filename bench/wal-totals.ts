/**
 * How much write-ahead log the PostgreSQL server has written, read before
 * and after a target's load: every durable change goes through the WAL and
 * its flushes, so WAL per answer shows how much a target asks of the disk.
 * The counters are the server's own, shared by every database on it; the
 * benchmark runs one target at a time, and nothing else should run then.
 */
import pg from 'pg'

/** The server's WAL counters since they were last reset. */
export interface WalTotals {
  records: number
  bytes: number
}

/** Reads `pg_stat_wal` on the server that `databaseUrl` names. */
export async function readWalTotals(databaseUrl: string): Promise<WalTotals> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ records: string; bytes: string }>(
      'select wal_records::text as records, wal_bytes::text as bytes ' +
        'from pg_stat_wal',
    )

    return { records: Number(rows[0]!.records), bytes: Number(rows[0]!.bytes) }
  } finally {
    await client.end()
  }
}

/** What was written between `before` and `after`. */
export function walWritten(before: WalTotals, after: WalTotals): WalTotals {
  return {
    records: after.records - before.records,
    bytes: after.bytes - before.bytes,
  }
}
