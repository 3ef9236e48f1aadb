/**
 * Puts the service together: database, migrations, job queue and workers,
 * the activity log and the HTTP server, and takes them down in order.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config/environment.js'
import type { Door, DoorContext } from './doors/door.js'
import { DOORS } from './doors/registry.js'
import { storeDerivedEvent } from './follow-up/derived-events.js'
import { loadRuleBook, type RuleBook } from './follow-up/rule-book.js'
import { RuleRunRelay } from './follow-up/rule-run-relay.js'
import { RuleRunner } from './follow-up/rule-runner.js'
import { trustNetworks } from './guards/trusted-network.js'
import { buildApp } from './http/app.js'
import { pruneIdempotencyKeys } from './http/idempotent-requests.js'
import { createFileStore } from './files/file-store.js'
import { Mailbox } from './gmail/mailbox.js'
import {
  JobQueue,
  RULE_RUN_QUEUE,
  type Job,
  type RuleRunJob,
} from './jobs/job-queue.js'
import {
  CONFIRMATION_LABEL_QUEUE,
  finishLabelMove,
} from './mail/confirmation-handoff.js'
import type { MailContext } from './mail/mail-context.js'
import { consoleExtension } from './console/console.js'
import { findSession } from './console/console-access.js'
import { ConsoleSessions } from './console/console-sessions.js'
import { ConsoleUsers } from './console/console-users.js'
import { CONSOLE_PAGES } from './console/pages/console-pages.js'
import { ActivityLog } from './live-feed/activity-log.js'
import { DoorJournal } from './observability/door-journal.js'
import { backlogOf } from './observability/backlog.js'
import { ServiceMetrics } from './observability/metrics.js'
import { metricsRoute } from './observability/metrics-route.js'
import { createNotifier, type Notifier } from './push/notifier.js'
import { loadPriceList, type PriceList } from './pricing/price-list.js'
import { openDatabase, type Database } from './storage/database.js'

/** A started service. */
export interface Service {
  app: FastifyInstance
  database: Database
  activityLog: ActivityLog
  jobs: JobQueue
  ruleBook: RuleBook
  notifier: Notifier
  /** When each door was called and what it refused. */
  doorJournal: DoorJournal
  /** Stops taking requests, finishes what is in hand and closes all. */
  close(): Promise<void>
}

/** The hourly job that deletes expired Idempotency-Keys. */
export const PRUNE_IDEMPOTENCY_KEYS = 'prune-idempotency-keys'

/**
 * Follow-up jobs kept waiting on the queue for each one a process runs side
 * by side. While events are coming in, workers start up to twice their
 * concurrency a second and the relay tops the queue up every two seconds:
 * about five seconds of work. Once they stop, the workers go on at once
 * after each full batch and the relay tops up after each one.
 */
const RULE_RUNS_QUEUED_PER_WORKER = 10

/** What a service is started with. */
export interface ServiceOptions {
  config: Config
  logger: Logger
  /** An open database to use instead of the one the config names. */
  database?: Database
  /** Rules to use instead of loading the config's rules file. */
  ruleBook?: RuleBook
  /** Prices to use instead of loading the config's price list. */
  priceList?: PriceList
  /** How often idle workers look for jobs, in seconds. */
  pollingIntervalSeconds?: number
  /** Doors to serve; all of them by default. */
  doors?: readonly Door[]
}

/** Starts the service; the HTTP server is built but not listening. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { config, logger } = options
  const ruleBook = options.ruleBook ?? loadRuleBook(config.followUpRulesPath)
  const priceList = options.priceList ?? loadPriceList(config.priceListPath)
  const database =
    options.database ?? (await openConfiguredDatabase(config, logger))
  const jobs = await migrateAndStartJobs(database, config, logger)
  const relay = new RuleRunRelay(
    database,
    jobs,
    logger.child({ part: 'follow-up' }),
    { queueAhead: RULE_RUNS_QUEUED_PER_WORKER * config.jobConcurrency },
  )
  const activityLog = new ActivityLog(
    database,
    { ruleBook, scheduler: jobs },
    relay,
    logger,
    config.eventQueueLimit,
  )
  const notifier = createNotifier({
    url: config.push.ntfyUrl,
    token: config.push.ntfyToken,
    webPush: config.push.webPush,
    orm: database.orm,
    logger,
  })
  await startRuleWorkers(
    jobs,
    database,
    { activityLog, relay },
    notifier,
    options,
  )
  await relay.start()
  const fileStore = await createFileStore(config.files, config.dataDir)
  const mailbox = config.gmail.credentials
    ? Mailbox.connect(config.gmail)
    : undefined
  if (mailbox) {
    await startLabelWorker(jobs, {
      mailbox,
      store: fileStore,
      orm: database.orm,
      activityLog,
      labels: config.gmail.labels,
      logger: logger.child({ part: 'gmail' }),
    })
  }
  await jobs.runEvery(PRUNE_IDEMPOTENCY_KEYS, '17 * * * *', async () => {
    const pruned = await pruneIdempotencyKeys(database.orm)
    logger.info({ pruned }, `pruned ${pruned} expired idempotency keys`)
  })

  const doorJournal = new DoorJournal(database.orm, logger)
  doorJournal.start()
  const metrics = new ServiceMetrics(backlogOf(jobs, database.orm), logger)

  const doorContext: DoorContext = {
    config,
    database,
    activityLog,
    logger,
    version: readVersion(),
    isTrustedNetwork: trustNetworks(config.trustedNetworks),
    priceList,
    fileStore,
    mailbox,
    jobs,
    notifier,
  }
  const doors = options.doors ?? DOORS
  const sessions = new ConsoleSessions(
    database.orm,
    config.console.sessionHours,
  )
  const operatorConsole = consoleExtension(
    {
      ...doorContext,
      doors,
      doorJournal,
      sessions,
      users: await ConsoleUsers.prepare(config.console.users),
    },
    CONSOLE_PAGES,
  )
  const app = await buildApp(doorContext, doors, logger, {
    outcomeListeners: [doorJournal.record, metrics.record],
    extensions: [
      operatorConsole,
      metricsRoute({
        metrics,
        basePath: config.basePath,
        tokens: config.metricsTokens,
        isSignedIn: async (request) =>
          (await findSession(request, sessions)) !== undefined,
      }),
    ],
  })
  await app.ready()

  const close = async () => {
    await app.close()
    await activityLog.drain()
    await relay.stop()
    await doorJournal.stop()
    logger.info('stopped taking requests; every accepted event is stored')
    await jobs.stop()
    logger.info('job workers stopped')
    await database.close()
    logger.info('database closed')
  }

  return {
    app,
    database,
    activityLog,
    jobs,
    ruleBook,
    notifier,
    doorJournal,
    close,
  }
}

// The job queue's own tables are made under the migration lock: two
// processes starting at once on an empty database would otherwise race to
// create them.
async function migrateAndStartJobs(
  database: Database,
  config: Config,
  logger: Logger,
): Promise<JobQueue> {
  let jobs: JobQueue | undefined
  await database.migrate(async () => {
    jobs = await JobQueue.start(
      database,
      {
        retryLimit: config.jobRetryLimit,
        retryDelaySeconds: config.jobRetryDelaySeconds,
        timeoutSeconds: config.jobTimeoutSeconds,
        concurrency: config.jobConcurrency,
      },
      logger,
    )
  })

  return jobs!
}

function openConfiguredDatabase(
  config: Config,
  logger: Logger,
): Promise<Database> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: path.join(config.dataDir, 'pglite'),
    onConnectionLost: (error) =>
      logger.warn(
        { err: error },
        'PostgreSQL dropped an idle connection; it will be replaced',
      ),
  })
}

// Follow-ups give way to the doors: while events come in, workers keep to
// the polling pace, and a backlog is worked through at full speed once the
// activity log is idle.
async function startRuleWorkers(
  jobs: JobQueue,
  database: Database,
  { activityLog, relay }: { activityLog: ActivityLog; relay: RuleRunRelay },
  notifier: Notifier,
  options: ServiceOptions,
) {
  const runner = new RuleRunner(
    database.orm,
    notifier,
    (tx, event) => storeDerivedEvent(tx, event, activityLog),
    options.logger.child({ part: 'follow-up' }),
  )
  // Asked after each full batch; a batch taken means room on the queue.
  const hurry = () => {
    if (!activityLog.idle) return false

    relay.topUp()

    return true
  }

  await jobs.work(RULE_RUN_QUEUE, (job: RuleRunJob) => runner.run(job), {
    pollingIntervalSeconds: options.pollingIntervalSeconds,
    hurry,
  })
}

async function startLabelWorker(jobs: JobQueue, mail: MailContext) {
  await jobs.declare(CONFIRMATION_LABEL_QUEUE)
  await jobs.work(
    CONFIRMATION_LABEL_QUEUE,
    (job: Job<{ printConfirmationId: number }>) =>
      finishLabelMove(mail, job.data.printConfirmationId),
  )
}

function readVersion(): string {
  const file = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../package.json',
  )

  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}
