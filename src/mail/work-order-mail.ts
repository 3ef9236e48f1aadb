/**
 * Work orders that arrive by mail: each thread with the work-order label
 * becomes a work order, with its attachments kept, and then moves to the
 * processed label.
 */
import type { MailThread } from '../gmail/mail-message.js'
import {
  workOrderAttachments,
  workOrders,
  type KeptFile,
} from '../storage/schema.js'
import type { Orm } from '../storage/database.js'
import type { IngestPlan, ThreadOutcome } from './ingest-run.js'
import { keepAttachments } from './kept-files.js'
import { moveThreadLabel, type MailContext } from './mail-context.js'
import { baseSubject } from './mail-subjects.js'
import { finishClaim } from './thread-claims.js'

/** Where work-order attachments are kept. */
export const WORK_ORDER_FILES = 'WorkOrderAttachments'

/** The plan of `POST /api/gmail/ingest`. */
export function workOrderPlan(context: MailContext): IngestPlan {
  const { workOrder, workOrderProcessed } = context.labels
  const moveOn = (threadId: string) =>
    moveThreadLabel(context, threadId, workOrder, workOrderProcessed)

  return {
    kind: 'work_order',
    label: workOrder,
    handle: async (thread) => {
      const outcome = await ingestWorkOrder(context, thread)
      if ('skipped' in outcome) return outcome

      const labelMoved = await moveOn(thread.id)

      return { ingested: { ...outcome.ingested, label_moved: labelMoved } }
    },
    revisit: async (threadId) => {
      await moveOn(threadId)
    },
  }
}

async function ingestWorkOrder(
  context: MailContext,
  thread: MailThread,
): Promise<ThreadOutcome> {
  const first = thread.messages[0]
  if (!first) return { skipped: 'the thread has no messages' }

  const files = await keepAttachments(
    context.mailbox,
    context.store,
    thread,
    WORK_ORDER_FILES,
    () => true,
  )
  const workOrderId = `WO-${thread.id}`
  const name = baseSubject(first.subject) || '(no subject)'

  await context.orm.transaction(async (tx) => {
    await tx
      .insert(workOrders)
      .values({
        id: workOrderId,
        status: 'new',
        name,
        customerName: first.from.name,
        customerEmail: first.from.email,
        description: first.text,
        gmailThreadId: thread.id,
      })
      .onConflictDoNothing()
    await recordAttachments(tx, workOrderId, files)
    await context.activityLog.recordWithin(tx, {
      door: 'api.gmail.ingest',
      rawEventType: 'work_order.created',
      source: 'gmail',
      workOrderId,
      dedupeKey: `gmail:work-order:${thread.id}`,
      payload: {
        event_type: 'work_order.created',
        source: 'gmail',
        work_order_id: workOrderId,
        data: {
          name,
          customer: { name: first.from.name, email: first.from.email },
          gmail_thread_id: thread.id,
          attachments: files.map((file) => file.fileName),
        },
      },
    })
    await finishClaim(tx, 'work_order', thread.id)
  })

  return {
    ingested: { work_order_id: workOrderId, name, attachments: files.length },
  }
}

async function recordAttachments(
  tx: Orm,
  workOrderId: string,
  files: KeptFile[],
) {
  if (files.length === 0) return

  await tx
    .insert(workOrderAttachments)
    .values(
      files.map((file) => ({
        workOrderId,
        fileKey: file.key,
        fileName: file.fileName,
        contentType: file.contentType,
        sizeBytes: file.sizeBytes,
        sha256: file.sha256,
      })),
    )
    .onConflictDoNothing()
}
