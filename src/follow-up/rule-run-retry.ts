/**
 * Running a failed follow-up rule run again, when a person asks for it:
 * the run goes back to queued and a new job is put on the queue for it, in
 * one transaction, so that neither happens without the other.
 *
 * The run keeps its attempts (they count every try it ever had), its last
 * error (until a try replaces it) and its results: actions already done are
 * not done twice. The new job has the full retry policy again.
 */
import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import type { RuleRunScheduler } from '../live-feed/activity-log.js'
import type { Orm } from '../storage/database.js'
import { ruleRuns } from '../storage/schema.js'

/** What became of a request to run a rule run again. */
export type RetryOutcome =
  | { kind: 'queued'; jobId: string }
  | { kind: 'not-found' }
  | { kind: 'not-failed'; status: string }

/**
 * Queues the rule run `ruleRunId` of the event `eventId` again, if it
 * failed. A run in any other status is left alone.
 */
export function retryRuleRun(
  orm: Orm,
  scheduler: RuleRunScheduler,
  run: { eventId: number; ruleRunId: number },
): Promise<RetryOutcome> {
  return orm.transaction(async (tx) => {
    const jobId = randomUUID()
    const [requeued] = await tx
      .update(ruleRuns)
      .set({ status: 'queued', jobId, finishedAt: null, updatedAt: new Date() })
      .where(
        and(
          eq(ruleRuns.id, run.ruleRunId),
          eq(ruleRuns.eventId, run.eventId),
          eq(ruleRuns.status, 'failed'),
        ),
      )
      .returning({ id: ruleRuns.id })

    if (!requeued) return whyNotRetried(tx, run)

    await scheduler.enqueueRuleRuns(tx, [{ jobId, ruleRunId: requeued.id }])

    return { kind: 'queued', jobId }
  })
}

async function whyNotRetried(
  tx: Orm,
  run: { eventId: number; ruleRunId: number },
): Promise<RetryOutcome> {
  const [found] = await tx
    .select({ status: ruleRuns.status })
    .from(ruleRuns)
    .where(
      and(eq(ruleRuns.id, run.ruleRunId), eq(ruleRuns.eventId, run.eventId)),
    )

  if (!found) return { kind: 'not-found' }

  return { kind: 'not-failed', status: found.status }
}
