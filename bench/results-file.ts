/**
 * The machine a benchmark ran on, and bench/RESULTS.md, where recorded
 * results are kept newest first.
 */
import { readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { TEST_DATABASE_URL } from '../test/support/test-database.js'

/** Where recorded results are kept: BENCH_RESULTS_FILE, or the default. */
export const RESULTS_PATH =
  process.env.BENCH_RESULTS_FILE ||
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md')

const TITLE = '# Benchmark results\n'

const PREAMBLE =
  `${TITLE}\n` +
  'Recorded with `npm run bench -- --record`, newest first. Each entry ' +
  'names the machine it ran on; compare ratios between entries, not ' +
  'absolute figures.\n'

/** The machine, as one markdown list. */
export async function describeMachine(): Promise<string> {
  const cpus = os.cpus()
  const [one, five] = os.loadavg()

  return [
    `- CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node.js ${process.version} on ${os.type()} ${os.release()}`,
    `- PostgreSQL: ${await postgresVersion()}`,
    `- load average at start: ${one!.toFixed(2)} (1 min), ` +
      `${five!.toFixed(2)} (5 min)`,
  ].join('\n')
}

async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    const { rows } = await client.query('show server_version')

    return `${rows[0].server_version} at ${hostOf()}`
  } finally {
    await client.end()
  }
}

function hostOf(): string {
  return new URL(TEST_DATABASE_URL).host
}

/** Puts `entry` at the top of bench/RESULTS.md, above earlier results. */
export async function recordResults(entry: string): Promise<void> {
  const earlier = await readFile(RESULTS_PATH, 'utf8').catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return ''
      throw error
    },
  )
  const firstEntry = earlier.indexOf('\n## ')
  const below = !earlier.startsWith(TITLE)
    ? earlier
    : firstEntry === -1
      ? ''
      : earlier.slice(firstEntry)

  await writeFile(RESULTS_PATH, `${PREAMBLE}\n${entry.trim()}\n${below}`)
}
