/**
 * The relay from stored rule runs to their jobs. The events door stores an
 * event and its rule runs in one statement and answers; the rule runs wait
 * in the table with no job yet (an outbox), and the relay puts them on the
 * job queue in batches of its own, moments later.
 *
 * The activity log tells the relay which rule runs it stored, and the
 * relay claims those by id: a claim that looks for rule runs without a job
 * instead would step over every run queued since the table was last
 * vacuumed. Nothing is lost in between: a rule run is its own durable
 * record, and one that a process never got to (it stopped or died first,
 * or its pass failed) is found by the sweep, a pass over every rule run
 * without a job, that each process makes at start and every few seconds.
 * Each pass claims its rule runs with row locks that others skip, and sets
 * their job ids in the transaction that queues the jobs, so no rule run is
 * queued twice.
 */
import { sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import type {
  RuleRunOutbox,
  RuleRunScheduler,
} from '../live-feed/activity-log.js'
import { isDatabaseOutage } from '../storage/database-outage.js'
import { rowsOf, type Database } from '../storage/database.js'

/** Most rule runs queued in one transaction. */
const CLAIM_LIMIT = 500

/** How often the relay looks for rule runs left without a job. */
const SWEEP_INTERVAL_MS = 2_000

/** Least time between two log lines about the same failure. */
const FAILURE_LOG_INTERVAL_MS = 60_000

/** Puts rule runs that have no job yet on the job queue. */
export class RuleRunRelay implements RuleRunOutbox {
  private timer: NodeJS.Timeout | undefined
  private pass: Promise<void> | undefined
  private sweepDue = false
  private told: number[] = []
  private failingSince: number | undefined
  private lastFailureLog = 0

  constructor(
    private readonly database: Database,
    private readonly scheduler: RuleRunScheduler,
    private readonly logger: Logger,
  ) {}

  /** Queues what is waiting now, then sweeps every few seconds. */
  async start(): Promise<void> {
    await this.relayWaiting()
    this.timer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS)
    this.timer.unref()
  }

  /** Hears that the rule runs `ids` were committed without their jobs. */
  stored(ids: number[]): void {
    this.told.push(...ids)
    this.startPass()
  }

  /** Resolves once no pass is running, those started meanwhile included. */
  async settled(): Promise<void> {
    while (this.pass) await this.pass
  }

  /** Stops sweeping, after a last pass over what is waiting. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.settled()
    await this.relayWaiting()
  }

  /** Queues every waiting rule run; failures are logged and left for later. */
  async relayWaiting(): Promise<void> {
    this.sweepDue = true
    await this.relayNow()
  }

  private sweep() {
    this.sweepDue = true
    this.startPass()
  }

  // One pass at a time; a sweep asked for meanwhile waits for the next.
  private startPass() {
    if (this.pass) return

    this.pass = this.relayNow().finally(() => {
      this.pass = undefined
      if (this.sweepDue || this.told.length > 0) this.startPass()
    })
  }

  private async relayNow() {
    try {
      if (this.sweepDue) await this.relaySweep()
      while (this.told.length > 0) {
        await this.relayBatch(this.told.splice(0, CLAIM_LIMIT))
      }
      if (this.failingSince !== undefined) this.reportRecovery()
    } catch (error) {
      // The sweep finds what was told and not queued.
      this.told = []
      this.reportFailure(error as Error)
    }
  }

  // Every run told before the sweep began was committed by then, so the
  // sweep sees it: only what is told from now on needs claiming by id.
  private async relaySweep() {
    this.sweepDue = false
    this.told = []
    while ((await this.relayBatch(null)) === CLAIM_LIMIT);
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

  // Claims the rule runs `ids`, or with null any rule runs without a job,
  // and queues their jobs; answers how many it claimed.
  private relayBatch(ids: number[] | null): Promise<number> {
    const which =
      ids === null
        ? sql`job_id is null`
        : sql`id = any(${`{${ids.join(',')}}`}::bigint[]) and job_id is null`

    return this.database.orm.transaction(async (tx) => {
      const claimed = rowsOf<{ id: string; job_id: string }>(
        await tx.execute(sql`
          update rule_runs set job_id = gen_random_uuid()
          where id in (
            select id from rule_runs where ${which}
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
