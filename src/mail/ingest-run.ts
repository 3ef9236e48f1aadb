/**
 * One pass over the Gmail threads that carry a label: each thread is
 * claimed, handled and accounted for in a summary. One bad thread never
 * stops the others.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Mailbox } from '../gmail/mailbox.js'
import type { MailThread } from '../gmail/mail-message.js'
import type { Orm } from '../storage/database.js'
import { claimThread, releaseClaim, type IngestKind } from './thread-claims.js'

/** What handling one claimed thread came to. */
export type ThreadOutcome =
  { ingested: Record<string, unknown> } | { skipped: string }

/** What one ingest call did, thread by thread. */
export interface IngestSummary {
  label: string
  /** Threads that carried the label. */
  seen: number
  ingested: ({ thread_id: string } & Record<string, unknown>)[]
  /** Threads ingested by an earlier call. */
  already_ingested: number
  skipped: { thread_id: string; reason: string }[]
  failed: { thread_id: string; error: string }[]
}

/** How to ingest one kind of mail. */
export interface IngestPlan {
  kind: IngestKind
  /** The label that puts a thread in the queue. */
  label: string
  /**
   * Stores a claimed thread; it must finish the claim in the transaction
   * that stores the records, or give a reason to skip the thread.
   */
  handle(thread: MailThread): Promise<ThreadOutcome>
  /** Runs for a thread ingested before, to finish what it left (labels). */
  revisit?(threadId: string): Promise<void>
}

/** Ingests every thread that carries `plan.label`. */
export async function runIngest(
  mailbox: Mailbox,
  orm: Orm,
  plan: IngestPlan,
  logger: FastifyBaseLogger,
): Promise<IngestSummary> {
  const labelId = await mailbox.labelId(plan.label)
  const threadIds = await mailbox.threadIdsWithLabel(labelId)
  const summary: IngestSummary = {
    label: plan.label,
    seen: threadIds.length,
    ingested: [],
    already_ingested: 0,
    skipped: [],
    failed: [],
  }

  for (const threadId of threadIds) {
    await ingestOne(mailbox, orm, plan, threadId, summary, logger)
  }

  return summary
}

async function ingestOne(
  mailbox: Mailbox,
  orm: Orm,
  plan: IngestPlan,
  threadId: string,
  summary: IngestSummary,
  logger: FastifyBaseLogger,
) {
  const claim = await claimThread(orm, plan.kind, threadId)
  if (claim === 'done') {
    summary.already_ingested += 1
    await plan.revisit?.(threadId)

    return
  }
  if (claim === 'busy') {
    const reason = 'another call is ingesting this thread right now'
    summary.skipped.push({ thread_id: threadId, reason })

    return
  }

  try {
    const outcome = await plan.handle(await mailbox.readThread(threadId))
    if ('skipped' in outcome) {
      await releaseClaim(orm, plan.kind, threadId)
      summary.skipped.push({ thread_id: threadId, reason: outcome.skipped })
    } else {
      summary.ingested.push({ thread_id: threadId, ...outcome.ingested })
    }
  } catch (error) {
    await releaseClaim(orm, plan.kind, threadId)
    const message = (error as Error).message
    logger.warn(
      { kind: plan.kind, threadId, err: error },
      `could not ingest Gmail thread ${threadId}: ${message}`,
    )
    summary.failed.push({ thread_id: threadId, error: message })
  }
}
