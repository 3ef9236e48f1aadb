/**
 * The servers the benchmark measures: three baselines and the service on
 * each engine. Each start gets a store of its own (a fresh database or
 * folder), deleted when the target is closed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { METRICS_PATH } from '../src/observability/metrics-route.js'
import { openDatabase, type DatabaseLocation } from '../src/storage/database.js'
import {
  createServerDatabase,
  dropServerDatabase,
} from '../test/support/test-database.js'
import type { LoadReport } from './load.js'
import { BENCH_SECRETS, type ScenarioName } from './scenarios.js'
import {
  countStoredRows,
  BASELINE_ROW_STORE,
  SERVICE_ROW_STORES,
  type RowStore,
  type StoredRows,
} from './stored-rows.js'
import { startTarget, type RunningTarget } from './target-process.js'
import { readWalTotals, type WalTotals } from './wal-totals.js'

export type TargetName =
  | 'bare-fastify'
  | 'express'
  | 'fastify-group-commit'
  | 'service-postgres'
  | 'service-pglite'

/** A target started for one scenario. */
export interface StartedTarget {
  process: RunningTarget
  /** Where the target's log went, for the report. */
  logPath: string
  /**
   * Counts the rows stored for the run tagged `tag`, or null for a target
   * that stores nothing. May stop the target first (PGlite has one owner).
   */
  countRows(report: LoadReport, tag: string): Promise<StoredRows | null>
  /** The PostgreSQL server's WAL counters, for targets stored on one. */
  walTotals?: () => Promise<WalTotals>
  /** Follow-up rule runs done so far, for targets that run follow-ups. */
  followUpsDone?: () => Promise<number>
  /** Stops the target and deletes its store. */
  close(): Promise<void>
}

/** How to start one target for one scenario. */
export interface BenchTarget {
  name: TargetName
  title: string
  start(scenario: ScenarioName, workDir: string): Promise<StartedTarget>
}

// Settings of the caller's shell that would change what is measured; the
// service runs on its defaults for everything but its store and secrets.
const UNSET_FOR_SERVICE = [
  'LOG_LEVEL',
  'HOST',
  'BASE_PATH',
  'PUBLIC_BASE_URL',
  'TWILIO_WEBHOOK_PUBLIC_BASE_URL',
  'TRUSTED_NETWORKS',
  'TRUSTED_PROXIES',
  'EVENT_QUEUE_LIMIT',
  'JOB_CONCURRENCY',
  'MAX_BODY_BYTES',
  'PUSH_NTFY_URL',
  'PRICE_LIST',
  'FOLLOW_UP_RULES',
]

const SERVICE_SECRETS = {
  WEBHOOK_SECRET: BENCH_SECRETS.webhook,
  TWILIO_AUTH_TOKEN: BENCH_SECRETS.twilioToken,
  PRESSOS_PRICING_HMAC_SECRET: BENCH_SECRETS.pricing,
  METRICS_TOKEN: BENCH_SECRETS.metrics,
}

/** Fastify answering 202 with no work. */
export const bareFastify: BenchTarget = {
  name: 'bare-fastify',
  title: 'bare Fastify (no work)',
  async start(scenario, workDir) {
    const logPath = path.join(workDir, `bare-fastify-${scenario}.log`)
    const process = await startTarget({
      args: ['--import', 'tsx', 'bench/baselines/bare-fastify.ts'],
      env: {},
      logPath,
    })

    return {
      process,
      logPath,
      countRows: async () => null,
      close: () => process.stop(),
    }
  },
}

/** Express with one INSERT per request, on a database of its own. */
export const expressInsert: BenchTarget = {
  name: 'express',
  title: 'Express + pg, 1 INSERT/request',
  start: (scenario, workDir) =>
    startBaselineOnDatabase('express-insert', scenario, workDir),
}

/** Fastify with the leanest group commit, on a database of its own. */
export const fastifyGroupCommit: BenchTarget = {
  name: 'fastify-group-commit',
  title: 'Fastify + pg, 1 INSERT/batch',
  start: (scenario, workDir) =>
    startBaselineOnDatabase('fastify-group-commit', scenario, workDir),
}

async function startBaselineOnDatabase(
  baseline: string,
  scenario: ScenarioName,
  workDir: string,
): Promise<StartedTarget> {
  const databaseUrl = await createServerDatabase()
  const launch = {
    args: ['--import', 'tsx', `bench/baselines/${baseline}.ts`],
    env: { DATABASE_URL: databaseUrl, WEBHOOK_SECRET: BENCH_SECRETS.webhook },
    logPath: path.join(workDir, `${baseline}-${scenario}.log`),
  }

  return startWithStore(launch, { databaseUrl }, BASELINE_ROW_STORE, () =>
    dropServerDatabase(databaseUrl),
  )
}

/** The service on a fresh database of the PostgreSQL server. */
export const serviceOnPostgres: BenchTarget = {
  name: 'service-postgres',
  title: 'PressOS Inbound, PostgreSQL',
  async start(scenario, workDir) {
    const databaseUrl = await createServerDatabase()
    const dataDir = path.join(workDir, `data-postgres-${scenario}`)
    const launch = serviceLaunch(workDir, `service-postgres-${scenario}`, {
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
    })
    const store = SERVICE_ROW_STORES[scenario]

    return startWithStore(launch, { databaseUrl }, store, async () => {
      await dropServerDatabase(databaseUrl)
      await rm(dataDir, { recursive: true, force: true })
    })
  },
}

/** The service on its embedded default, PGlite in a temporary folder. */
export const serviceOnPglite: BenchTarget = {
  name: 'service-pglite',
  title: 'PressOS Inbound, PGlite',
  async start(scenario, workDir) {
    const dataDir = await mkdtemp(path.join(workDir, `data-pglite-`))
    const launch = serviceLaunch(workDir, `service-pglite-${scenario}`, {
      DATABASE_URL: '',
      DATA_DIR: dataDir,
    })
    const location = { pgliteDir: path.join(dataDir, 'pglite') }
    const store = SERVICE_ROW_STORES[scenario]

    return startWithStore(launch, location, store, () =>
      rm(dataDir, { recursive: true, force: true }),
    )
  },
}

export const BENCH_TARGETS: Record<TargetName, BenchTarget> = {
  'bare-fastify': bareFastify,
  express: expressInsert,
  'fastify-group-commit': fastifyGroupCommit,
  'service-postgres': serviceOnPostgres,
  'service-pglite': serviceOnPglite,
}

function serviceLaunch(
  workDir: string,
  name: string,
  store: Record<string, string>,
) {
  return {
    args: ['--import', 'tsx', 'src/main.ts'],
    env: { ...SERVICE_SECRETS, ...store },
    unset: UNSET_FOR_SERVICE,
    logPath: path.join(workDir, `${name}.log`),
  }
}

// Rows are counted once the target has stopped: acknowledged rows are
// committed before their answer, and PGlite lets one process in at a time.
async function startWithStore(
  launch: Parameters<typeof startTarget>[0],
  location: DatabaseLocation,
  store: RowStore,
  deleteStore: () => Promise<void>,
): Promise<StartedTarget> {
  let started: RunningTarget
  try {
    started = await startTarget(launch)
  } catch (error) {
    await deleteStore()
    throw error
  }

  const { databaseUrl } = location

  return {
    process: started,
    logPath: launch.logPath,
    walTotals: databaseUrl ? () => readWalTotals(databaseUrl) : undefined,
    followUpsDone: store.ruleRuns
      ? () => readFollowUpsDone(started.origin)
      : undefined,
    async countRows(report, tag) {
      await started.stop()
      const database = await openDatabase(location)
      try {
        return await countStoredRows(database.executor, store, report, tag)
      } finally {
        await database.close()
      }
    },
    async close() {
      await started.stop()
      await deleteStore()
    },
  }
}

const DONE_RULE_RUNS = /^pressos_follow_up_rule_runs\{status="done"\} (\d+)$/m

// The service's own count of finished rule runs, from its metrics.
async function readFollowUpsDone(origin: string): Promise<number> {
  const response = await fetch(`${origin}${METRICS_PATH}`, {
    headers: { authorization: `Bearer ${BENCH_SECRETS.metrics}` },
  })
  if (!response.ok) {
    throw new Error(`GET ${METRICS_PATH} answered ${response.status}`)
  }

  const done = DONE_RULE_RUNS.exec(await response.text())

  return done ? Number(done[1]) : 0
}
