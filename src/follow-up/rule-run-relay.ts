/**
 * The relay from stored rule runs to their jobs. The events door stores an
 * event and its rule runs in one statement and answers; the rule runs wait
 * in the table with no job yet (an outbox), and the relay puts them on the
 * job queue in batches of its own.
 *
 * The job queue is kept short: the relay queues no more rule runs than the
 * workers can start in the next few seconds (`queueAhead` jobs waiting),
 * and the rest wait in the table, oldest first, until the workers make
 * room. A burst of events thus costs the doors one write each, the jobs
 * are made at the pace they are run, and the queue's fetches stay quick.
 *
 * The activity log tells the relay which rule runs it stored, and while
 * there is room the relay claims those by id: a claim that looks for rule
 * runs without a job instead would step over every run queued since the
 * table was last vacuumed. Nothing is lost in between: a rule run is its
 * own durable record, and one that was not queued when it was told of (no
 * room, a failed pass, a process that died) is found by the sweep, a pass
 * over the oldest rule runs without a job, that each process makes at
 * start, every few seconds and whenever its workers ask for more, counting
 * the room afresh. Each pass claims its rule runs with row locks that
 * others skip, and sets their job ids in the transaction that queues the
 * jobs, so no rule run is queued twice.
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

/** The job queue as the relay sees it. */
export interface RuleRunJobs extends RuleRunScheduler {
  /**
   * Rule-run jobs a worker may start now; a retry still waiting out its
   * delay does not count, so failing runs do not hold up new ones.
   */
  countWaitingRuleRuns(): Promise<number>
}

/** How far ahead of the workers the relay queues. */
export interface RelaySettings {
  /**
   * Most rule-run jobs waiting on the queue; more rule runs wait in the
   * table. A soft limit: each process counts the room for itself.
   */
  queueAhead: number
}

/** Puts rule runs that have no job yet on the job queue. */
export class RuleRunRelay implements RuleRunOutbox {
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private pass: Promise<void> | undefined
  private sweepDue = false
  private told: number[] = []
  // Jobs this process may still queue before the next sweep counts again.
  private room: number
  private failingSince: number | undefined
  private lastFailureLog = 0

  constructor(
    private readonly database: Database,
    private readonly jobs: RuleRunJobs,
    private readonly logger: Logger,
    private readonly settings: RelaySettings,
  ) {
    this.room = settings.queueAhead
  }

  /** Queues what is waiting now, then sweeps every few seconds. */
  async start(): Promise<void> {
    this.stopped = false
    await this.relayWaiting()
    this.timer = setInterval(() => this.topUp(), SWEEP_INTERVAL_MS)
    this.timer.unref()
  }

  /**
   * Sweeps as soon as no other pass is running, without waiting for the
   * next few seconds to pass: for when workers have just taken jobs. Once
   * the relay is stopped, it does nothing.
   */
  topUp(): void {
    if (this.stopped) return

    this.sweepDue = true
    this.startPass()
  }

  /**
   * Hears that the rule runs `ids` were committed without their jobs. With
   * no room left they are not kept: the sweep finds them in the table.
   */
  stored(ids: number[]): void {
    if (this.room <= 0) return

    this.told.push(...ids)
    this.startPass()
  }

  /** Resolves once no pass is running, those started meanwhile included. */
  async settled(): Promise<void> {
    while (this.pass) await this.pass
  }

  /** Stops sweeping, after a last pass over what is waiting. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.settled()
    await this.relayWaiting()
  }

  /**
   * Counts the room on the queue and fills it with the oldest waiting rule
   * runs; failures are logged and left for later.
   */
  async relayWaiting(): Promise<void> {
    this.sweepDue = true
    await this.relayNow()
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
      while (this.told.length > 0 && this.room > 0) {
        const ids = this.told.splice(0, Math.min(this.room, CLAIM_LIMIT))
        this.room -= await this.relayBatch(ids, ids.length)
      }
      if (this.failingSince !== undefined) this.reportRecovery()
    } catch (error) {
      this.reportFailure(error as Error)
    } finally {
      // What was told and not queued (no room, or a failure) waits in the
      // table for the sweep.
      this.told = []
    }
  }

  // Every run told before the sweep began was committed by then, so the
  // sweep sees it: only what is told from now on needs claiming by id.
  private async relaySweep() {
    this.sweepDue = false
    this.told = []
    const waiting = await this.jobs.countWaitingRuleRuns()
    this.room = this.settings.queueAhead - waiting

    while (this.room > 0) {
      const limit = Math.min(this.room, CLAIM_LIMIT)
      const claimed = await this.relayBatch(null, limit)
      this.room -= claimed
      if (claimed < limit) break
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

  // Claims up to `limit` of the rule runs `ids`, or with null the oldest
  // rule runs without a job, and queues their jobs; answers how many it
  // claimed.
  private relayBatch(ids: number[] | null, limit: number): Promise<number> {
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
            limit ${limit}
            for update skip locked)
          returning id::text, job_id::text`),
      )
      if (claimed.length === 0) return 0

      await this.jobs.enqueueRuleRuns(
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
