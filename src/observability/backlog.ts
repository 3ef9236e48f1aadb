/**
 * The work waiting behind the doors, counted when someone asks: jobs on
 * each queue by state, follow-up rule runs by status, and the rule runs the
 * relay has not given a job yet.
 */
import { isNull, sql } from 'drizzle-orm'
import type { JobQueue, QueueDepth } from '../jobs/job-queue.js'
import type { Orm } from '../storage/database.js'
import { ruleRuns } from '../storage/schema.js'

/** Every status a follow-up rule run can have. */
export const RULE_RUN_STATUSES = [
  'queued',
  'running',
  'retrying',
  'done',
  'failed',
] as const

/** How many rule runs have one status. */
export interface RuleRunCount {
  status: (typeof RULE_RUN_STATUSES)[number]
  runs: number
}

/** Counts the waiting work; each call reads the database afresh. */
export interface Backlog {
  countJobs(): Promise<QueueDepth[]>
  countRuleRuns(): Promise<RuleRunCount[]>
  countRuleRunsWithoutJob(): Promise<number>
}

/** The backlog of `jobs` and of the rule runs stored through `orm`. */
export function backlogOf(jobs: JobQueue, orm: Orm): Backlog {
  return {
    countJobs: () => jobs.countJobs(),
    countRuleRuns: () => countRuleRuns(orm),
    countRuleRunsWithoutJob: () => countRuleRunsWithoutJob(orm),
  }
}

/** Rule runs stored and not yet on the job queue. */
export async function countRuleRunsWithoutJob(orm: Orm): Promise<number> {
  const [row] = await orm
    .select({ runs: sql<number>`count(*)::int` })
    .from(ruleRuns)
    .where(isNull(ruleRuns.jobId))

  return row?.runs ?? 0
}

/** Rule runs by status, with a zero for each status no run has. */
export async function countRuleRuns(orm: Orm): Promise<RuleRunCount[]> {
  const rows = await orm
    .select({
      status: ruleRuns.status,
      runs: sql<number>`count(*)::int`,
    })
    .from(ruleRuns)
    .groupBy(ruleRuns.status)
  const byStatus = new Map(rows.map((row) => [row.status, row.runs]))

  return RULE_RUN_STATUSES.map((status) => ({
    status,
    runs: byStatus.get(status) ?? 0,
  }))
}
