/**
 * Durable background jobs, kept in PostgreSQL by pg-boss. Jobs are put on a
 * queue inside the caller's transaction, the one that records the job on
 * what it follows up, so no job exists without that record. A failing job
 * is tried again with a doubling delay and stays visible as failed, with
 * its error, once its retries are used up. A job whose process died while
 * running it is tried again once its timeout has passed.
 */
import { randomUUID } from 'node:crypto'
import PgBoss from 'pg-boss'
import type { Logger } from 'pino'
import type { RuleRunJobs } from '../follow-up/rule-run-relay.js'
import { executorFor, type Database, type Orm } from '../storage/database.js'

/** The queue that runs follow-up rules. */
export const RULE_RUN_QUEUE = 'follow-up-rule-run'

/** How jobs are run and retried. */
export interface JobSettings {
  /** Tries after the first one. */
  retryLimit: number
  /** Delay before the first retry, in seconds; it doubles each time. */
  retryDelaySeconds: number
  /**
   * Longest a worker may spend on one batch of jobs, in seconds. A job still
   * running after it (its process was killed, say) counts as failed and is
   * tried again.
   */
  timeoutSeconds: number
  /**
   * Jobs of one queue a process takes at each fetch and runs side by side.
   * pg-boss waits out its polling interval (half a second) between fetches,
   * so while a backlog lasts a process starts twice this many a second,
   * unless its worker is told to hurry (`WorkOptions.hurry`).
   */
  concurrency: number
}

/** How a worker takes the jobs of its queue. */
export interface WorkOptions {
  /** How often an idle worker looks for jobs, in seconds; 0.5 unless set. */
  pollingIntervalSeconds?: number
  /**
   * Asked whenever a full batch is done, as there may be more waiting: true
   * fetches the next batch at once instead of after the polling interval.
   */
  hurry?: () => boolean
}

/** Fewest and most seconds between two checks for timed-out jobs. */
const UPKEEP_INTERVAL_SECONDS = { min: 1, max: 120 }

/** A job handed to a worker, with how many tries it has left. */
export interface Job<Data> {
  id: string
  data: Data
  /** Retries already made before this try. */
  retryCount: number
  retryLimit: number
}

/** A rule-run job. */
export type RuleRunJob = Job<{ ruleRunId: number }>

/** The job states counted for people watching the queues. */
export const COUNTED_JOB_STATES = [
  'created',
  'retry',
  'active',
  'failed',
] as const

/** How many jobs of one queue are in one state. */
export interface QueueDepth {
  queue: string
  state: (typeof COUNTED_JOB_STATES)[number]
  jobs: number
}

function upkeepIntervalFor(timeoutSeconds: number): number {
  const { min, max } = UPKEEP_INTERVAL_SECONDS

  return Math.min(max, Math.max(min, Math.round(timeoutSeconds / 4)))
}

/** The running job queue. */
export class JobQueue implements RuleRunJobs {
  private constructor(
    private readonly boss: PgBoss,
    private readonly settings: JobSettings,
    private readonly logger: Logger,
  ) {}

  /** Creates pg-boss's tables if needed and starts its upkeep. */
  static async start(
    database: Database,
    settings: JobSettings,
    logger: Logger,
  ): Promise<JobQueue> {
    const boss = new PgBoss({
      db: database.executor,
      schema: 'pgboss',
      // Jobs that stay failed are kept for two weeks for people to see.
      deleteAfterDays: 14,
      expireInSeconds: settings.timeoutSeconds,
      // A job left running by a dead process is only found by the upkeep,
      // so it runs often enough to notice one soon after its timeout.
      maintenanceIntervalSeconds: upkeepIntervalFor(settings.timeoutSeconds),
    })
    boss.on('error', (error) =>
      logger.error({ err: error }, 'job queue upkeep failed'),
    )
    await boss.start()
    await boss.createQueue(RULE_RUN_QUEUE, { name: RULE_RUN_QUEUE })

    return new JobQueue(boss, settings, logger)
  }

  /** Creates `queue` when it does not exist yet. */
  async declare(queue: string): Promise<void> {
    await this.boss.createQueue(queue, { name: queue })
  }

  /**
   * Puts jobs on `queue` inside the caller's transaction `tx`; each job's id
   * is given, or made up. Returns the ids.
   */
  async enqueue<Data extends object>(
    tx: Orm,
    queue: string,
    jobs: { id?: string; data: Data }[],
  ): Promise<string[]> {
    const rows = jobs.map((job) => ({
      id: job.id ?? randomUUID(),
      name: queue,
      data: job.data,
      retryLimit: this.settings.retryLimit,
      retryDelay: this.settings.retryDelaySeconds,
      retryBackoff: true,
    }))
    await this.boss.insert(rows, { db: executorFor(tx) })

    return rows.map((row) => row.id)
  }

  async enqueueRuleRuns(
    tx: Orm,
    runs: { jobId: string; ruleRunId: number }[],
  ): Promise<void> {
    await this.enqueue(
      tx,
      RULE_RUN_QUEUE,
      runs.map((run) => ({
        id: run.jobId,
        data: { ruleRunId: run.ruleRunId },
      })),
    )
  }

  /**
   * Rule-run jobs that a worker may start now: new ones, and retries whose
   * delay is over. Retries still waiting out their delay are not counted.
   */
  async countWaitingRuleRuns(): Promise<number> {
    const { rows } = await this.boss.getDb().executeSql(
      `select count(*)::int as jobs from pgboss.job
       where name = $1 and state < 'active' and start_after <= now()`,
      [RULE_RUN_QUEUE],
    )

    return Number(rows[0]?.jobs ?? 0)
  }

  /**
   * Runs `handle` for each job of `queue`. A job whose handler throws is
   * failed with the error, and retried while it has retries left.
   */
  async work<Data extends object>(
    queue: string,
    handle: (job: Job<Data>) => Promise<void>,
    { pollingIntervalSeconds = 0.5, hurry }: WorkOptions = {},
  ): Promise<void> {
    const batchSize = this.settings.concurrency
    // Set when pg-boss has started the worker, before any batch can end.
    const worker: { id?: string } = {}
    const runBatch = async (jobs: PgBoss.JobWithMetadata<Data>[]) => {
      await Promise.all(jobs.map((job) => this.runOne(queue, job, handle)))
      if (jobs.length < batchSize || !hurry) return

      // On the embedded database a batch may never wait for I/O: without
      // this turn, requests and timers would wait for the whole backlog.
      await new Promise((resolve) => setImmediate(resolve))
      if (worker.id && hurry()) this.boss.notifyWorker(worker.id)
    }

    worker.id = await this.boss.work<Data>(
      queue,
      { batchSize, pollingIntervalSeconds, includeMetadata: true },
      runBatch,
    )
  }

  private async runOne<Data extends object>(
    queue: string,
    job: PgBoss.JobWithMetadata<Data>,
    handle: (job: Job<Data>) => Promise<void>,
  ) {
    try {
      await handle({
        id: job.id,
        data: job.data,
        retryCount: job.retryCount,
        retryLimit: job.retryLimit,
      })
    } catch (error) {
      const message = (error as Error).message
      this.logger.warn(
        { queue, jobId: job.id, data: job.data, err: error },
        `${queue} job failed (try ${job.retryCount + 1}): ${message}`,
      )
      await this.boss.fail(queue, job.id, { message })
    }
  }

  /**
   * Runs `task` on the schedule `cron` (five-field cron, UTC), on one of the
   * service's processes at a time.
   */
  async runEvery(
    name: string,
    cron: string,
    task: () => Promise<void>,
  ): Promise<void> {
    await this.declare(name)
    await this.boss.schedule(name, cron)
    await this.boss.work(name, async () => {
      await task()
    })
  }

  /** Runs the scheduled task `name` now, without waiting for its time. */
  async runNow(name: string): Promise<void> {
    await this.boss.send(name, {})
  }

  /** The state and stored error of one job, for people and tests. */
  async findJob(queue: string, jobId: string) {
    return this.boss.getJobById(queue, jobId, { includeArchive: true })
  }

  /**
   * Jobs of every queue in each counted state, zeros included. Failed jobs
   * count until pg-boss archives them, twelve hours after they failed.
   */
  async countJobs(): Promise<QueueDepth[]> {
    const states = COUNTED_JOB_STATES.map((state) => `'${state}'`).join(',')
    const { rows } = await this.boss.getDb().executeSql(
      `select q.name as queue, s.state::text as state,
         count(j.id)::int as jobs
       from pgboss.queue q
       cross join unnest(array[${states}]::pgboss.job_state[]) as s(state)
       left join pgboss.job j on j.name = q.name and j.state = s.state
       group by q.name, s.state
       order by q.name, s.state`,
      [],
    )

    return rows as QueueDepth[]
  }

  /** Stops taking jobs and waits for the ones in hand to finish. */
  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 20_000 })
  }
}
