/**
 * Starts the whole service for a test, on a database of its own, with its
 * log captured so tests can read what it said.
 */
import { Writable } from 'node:stream'
import { loadConfig, type Config } from '../../src/config/environment.js'
import { createLogger } from '../../src/http/logging.js'
import type { RuleBook } from '../../src/follow-up/rule-book.js'
import type { PriceList } from '../../src/pricing/price-list.js'
import { startService, type Service } from '../../src/service.js'
import type { Database } from '../../src/storage/database.js'
import { createTestDatabase, type Engine } from './test-database.js'

/** The secret tests send unless they say otherwise. */
export const TEST_SECRET = 'test-secret-7f3a9c'

/** Lines the service logged, as parsed JSON, and as raw text. */
export class CapturedLog extends Writable {
  readonly lines: string[] = []

  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    done()
  }

  get entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line))
  }

  get text(): string {
    return this.lines.join('\n')
  }
}

/** A running service for one test. */
export interface TestService {
  service: Service
  database: Database
  config: Config
  log: CapturedLog
  close(): Promise<void>
}

export interface TestServiceOptions {
  /** Environment variables on top of the test defaults. */
  env?: Record<string, string | undefined>
  ruleBook?: RuleBook
  priceList?: PriceList
  /** Use this database instead of a fresh one; it is not closed. */
  database?: Database
}

/** Starts the service on `engine` with `options`. */
export async function startTestService(
  engine: Engine,
  options: TestServiceOptions = {},
): Promise<TestService> {
  const config = loadConfig({
    WEBHOOK_SECRET: TEST_SECRET,
    JOB_RETRY_DELAY_SECONDS: '1',
    JOB_RETRY_LIMIT: '2',
    LOG_LEVEL: 'debug',
    ...options.env,
  })
  const log = new CapturedLog()
  const ownsDatabase = options.database === undefined
  const database = options.database ?? (await createTestDatabase(engine))
  const service = await startService({
    config,
    logger: createLogger(config.logLevel, log),
    database: keepOpen(database),
    pollingIntervalSeconds: 0.5,
    ...(options.ruleBook ? { ruleBook: options.ruleBook } : {}),
    ...(options.priceList ? { priceList: options.priceList } : {}),
  })

  return {
    service,
    database,
    config,
    log,
    close: async () => {
      await service.close()
      if (ownsDatabase) await database.close()
    },
  }
}

// The service closes its database on shutdown; the test decides instead.
function keepOpen(database: Database): Database {
  return { ...database, close: async () => {} }
}

/** Waits until `check` returns a value other than undefined/false. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
