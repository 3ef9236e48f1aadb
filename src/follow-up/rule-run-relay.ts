/**
 * The relay from stored rule runs to their jobs. The events door stores an
 * event and its rule runs in one statement and answers; the rule runs wait
 * in the table with no job yet (an outbox), and the relay puts them on the
 * job queue in batches of its own, moments later.
 *
 * Nothing is lost in between: a rule run is its own durable record, and a
 * process that stops or dies before its relay got to it leaves it for the
 * next pass of any process (the relay also looks every few seconds and at
 * start). Each pass claims its rule runs with row locks that others skip,
 * and sets their job ids in the transaction that queues the jobs, so no rule
 * run is queued twice.
 */
import { sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { RuleRunScheduler } from '../live-feed/activity-log.js'
import { isDatabaseOutage } from '../storage/database-outage.js'
import { rowsOf, type Database } from '../storage/database.js'

/** Most rule runs queued in one transaction. */
const CLAIM_LIMIT = 500

/** How often the relay looks for rule runs left without a job. */
const SWEEP_INTERVAL_MS = 2_000

/** Least time between two log lines about the same failure. */
const FAILURE_LOG_INTERVAL_MS = 60_000

/** Puts rule runs that have no job yet on the job queue. */
export class RuleRunRelay {
  private timer: NodeJS.Timeout | undefined
  private pass: Promise<void> | undefined
  private again = false
  private failingSince: number | undefined
  private lastFailureLog = 0

  constructor(
    private readonly database: Database,
    private readonly scheduler: RuleRunScheduler,
    private readonly logger: Logger,
  ) {}

  /** Queues what is waiting now, then looks again every few seconds. */
  async start(): Promise<void> {
    await this.relayWaiting()
    this.timer = setInterval(() => this.poke(), SWEEP_INTERVAL_MS)
    this.timer.unref()
  }

  /** Says that rule runs were stored; a pass starts unless one is running. */
  poke(): void {
    if (this.pass) {
      this.again = true

      return
    }

    this.pass = this.relayWaiting().finally(() => {
      this.pass = undefined
      if (this.again) {
        this.again = false
        this.poke()
      }
    })
  }

  /** Stops looking, after a last pass over what is waiting. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    while (this.pass) await this.pass
    await this.relayWaiting()
  }

  /** Queues every waiting rule run; failures are logged and left for later. */
  async relayWaiting(): Promise<void> {
    try {
      while ((await this.relayBatch()) === CLAIM_LIMIT);
      if (this.failingSince !== undefined) this.reportRecovery()
    } catch (error) {
      this.reportFailure(error as Error)
    }
  }

  // A failure is logged when it starts and then once a minute while it
  // lasts, not on every sweep.
  private reportFailure(error: Error) {
    const now = Date.now()
    this.failingSince ??= now
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) return

    this.lastFailureLog = now
    const what = isDatabaseOutage(error)
      ? 'the database cannot be reached'
      : error.message
    this.logger.warn(
      { err: error },
      `could not queue follow-up jobs (${what}); trying again every ` +
        `${SWEEP_INTERVAL_MS / 1000} s`,
    )
  }

  private reportRecovery() {
    const seconds = Math.round((Date.now() - this.failingSince!) / 1000)
    this.failingSince = undefined
    this.lastFailureLog = 0
    this.logger.info(
      `follow-up jobs are being queued again after ${seconds} s of failures`,
    )
  }

  private relayBatch(): Promise<number> {
    return this.database.orm.transaction(async (tx) => {
      const claimed = rowsOf<{ id: string; job_id: string }>(
        await tx.execute(sql`
          update rule_runs set job_id = gen_random_uuid()
          where id in (
            select id from rule_runs where job_id is null
            order by id
            limit ${CLAIM_LIMIT}
            for update skip locked)
          returning id::text, job_id::text`),
      )
      if (claimed.length === 0) return 0

      await this.scheduler.enqueueRuleRuns(
        tx,
        claimed.map((run) => ({
          jobId: run.job_id,
          ruleRunId: Number(run.id),
        })),
      )

      return claimed.length
    })
  }
}
