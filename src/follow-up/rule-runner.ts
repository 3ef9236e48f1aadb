/**
 * Runs one follow-up rule run: its actions in order, each recorded as done
 * when it is, so that a retry picks up where the last try stopped.
 */
import { eq } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { RuleRunJob } from '../jobs/job-queue.js'
import { factsOf } from '../live-feed/activity-log.js'
import type { Notifier } from '../push/notifier.js'
import type { Orm } from '../storage/database.js'
import { activityEvents, ruleRuns } from '../storage/schema.js'
import {
  ActionError,
  performStoredAction,
  recordPush,
  sendPush,
  type ActionScope,
  type ActionSummary,
  type DerivedEventWriter,
} from './rule-actions.js'
import type { Rule } from './rule-book.js'

/** One finished action, as kept in `rule_runs.results`. */
export interface ActionResult extends ActionSummary {
  action: string
  status: 'done'
  at: string
}

type LoadedRun = {
  run: typeof ruleRuns.$inferSelect
  event: typeof activityEvents.$inferSelect
}

/** Carries out rule runs handed to it by the job queue. */
export class RuleRunner {
  constructor(
    private readonly orm: Orm,
    private readonly notifier: Notifier,
    private readonly writeDerived: DerivedEventWriter,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs the rule run of `job`. Throws when a try failed in a way another
   * try may fix; an action that can never succeed fails the run at once.
   */
  async run(job: RuleRunJob): Promise<void> {
    const loaded = await this.load(job.data.ruleRunId)
    if (!loaded) {
      this.logger.warn({ job }, 'rule run of job not found; nothing to do')

      return
    }
    if (loaded.run.status === 'done' || loaded.run.status === 'failed') return

    const log = this.logger.child({
      ruleRunId: loaded.run.id,
      ruleId: loaded.run.ruleId,
      eventId: loaded.event.id,
    })
    await this.markRunning(loaded.run)

    try {
      const finished = await this.performActions(loaded)
      // Its actions may all have been done before this try began.
      if (!finished) await this.finish(loaded.run.id, 'done', null)
      log.info(`follow-up rule "${loaded.run.ruleId}" done`)
    } catch (error) {
      await this.recordFailure(loaded.run.id, job, error as Error, log)
      if (!(error instanceof ActionError)) throw error
    }
  }

  private async load(ruleRunId: number): Promise<LoadedRun | undefined> {
    const [row] = await this.orm
      .select({ run: ruleRuns, event: activityEvents })
      .from(ruleRuns)
      .innerJoin(activityEvents, eq(activityEvents.id, ruleRuns.eventId))
      .where(eq(ruleRuns.id, ruleRunId))

    return row
  }

  private async markRunning(run: typeof ruleRuns.$inferSelect) {
    await this.orm
      .update(ruleRuns)
      .set({
        status: 'running',
        attempts: run.attempts + 1,
        updatedAt: new Date(),
      })
      .where(eq(ruleRuns.id, run.id))
  }

  /**
   * Performs the actions not done yet, each in its own transaction with its
   * result; the last one marks the run done in that same transaction. False
   * when there was nothing left to do.
   */
  private async performActions({ run, event }: LoadedRun): Promise<boolean> {
    const rule = run.rule as Rule
    const results = [...(run.results as (ActionResult | null)[])]
    const lastIndex = rule.actions.length - 1
    let finished = false

    for (const [index, action] of rule.actions.entries()) {
      if (results[index]?.status === 'done') continue

      const scope: ActionScope = {
        facts: factsOf(event),
        eventId: event.id,
        ruleId: run.ruleId,
        ruleRunId: run.id,
        actionIndex: index,
      }
      const sent =
        action.type === 'push'
          ? await sendPush(this.notifier, action, scope)
          : undefined

      await this.orm.transaction(async (tx) => {
        const summary = sent
          ? await recordPush(tx, sent, this.notifier.driver, scope)
          : await performStoredAction(
              tx,
              action as Exclude<typeof action, { type: 'push' }>,
              scope,
              this.writeDerived,
            )
        results[index] = {
          action: action.type,
          status: 'done',
          at: new Date().toISOString(),
          ...summary,
        }
        await saveResults(tx, run.id, results, index === lastIndex)
      })
      finished = index === lastIndex
    }

    return finished
  }

  private async finish(
    ruleRunId: number,
    status: 'done' | 'failed' | 'retrying',
    lastError: string | null,
  ) {
    const finished = status === 'retrying' ? null : new Date()
    await this.orm
      .update(ruleRuns)
      .set({ status, lastError, updatedAt: new Date(), finishedAt: finished })
      .where(eq(ruleRuns.id, ruleRunId))
  }

  private async recordFailure(
    ruleRunId: number,
    job: RuleRunJob,
    error: Error,
    log: Logger,
  ) {
    const final =
      error instanceof ActionError || job.retryCount >= job.retryLimit
    await this.finish(ruleRunId, final ? 'failed' : 'retrying', error.message)

    const outcome = final ? 'failed for good' : 'will be tried again'
    log.warn({ err: error }, `follow-up rule ${outcome}: ${error.message}`)
  }
}

// With `last`, the run is done as the last action's result is saved.
async function saveResults(
  tx: Orm,
  ruleRunId: number,
  results: (ActionResult | null)[],
  last: boolean,
) {
  const now = new Date()
  const done = { status: 'done', lastError: null, finishedAt: now } as const
  await tx
    .update(ruleRuns)
    .set({ results, updatedAt: now, ...(last ? done : {}) })
    .where(eq(ruleRuns.id, ruleRunId))
}
