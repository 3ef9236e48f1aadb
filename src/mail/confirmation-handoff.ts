/**
 * The hand-off of print confirmations to PrintPath: it lists the pending
 * ones with links to their PDFs, imports them, and acknowledges each, which
 * moves its Gmail thread to the complete label.
 */
import { and, desc, eq, gte, isNull, sql } from 'drizzle-orm'
import type { FileStore } from '../files/file-store.js'
import { HttpProblem } from '../http/problem.js'
import type { JobQueue } from '../jobs/job-queue.js'
import { printConfirmations } from '../storage/schema.js'
import { linkKeptFiles, type LinkTerms, type LinkedFile } from './kept-files.js'
import { moveThreadLabel, type MailContext } from './mail-context.js'

/** The queue that moves acknowledged threads to the complete label. */
export const CONFIRMATION_LABEL_QUEUE = 'gmail-confirmation-label'

type ConfirmationRow = typeof printConfirmations.$inferSelect

/** A pending confirmation as PrintPath receives it. */
export interface PendingConfirmation {
  id: number
  work_order_name: string
  gmail_thread_id: string
  subject: string
  sender: string
  received_at: string
  files: LinkedFile[]
}

/** Which pending confirmations to list, and how to link their files. */
export interface PendingQuery extends LinkTerms {
  /** Received within this many days. */
  days: number
  limit: number
}

/** Pending confirmations, newest first, with a link to every PDF. */
export async function listPendingConfirmations(
  orm: MailContext['orm'],
  store: FileStore,
  query: PendingQuery,
): Promise<PendingConfirmation[]> {
  const rows = await orm
    .select()
    .from(printConfirmations)
    .where(
      and(
        eq(printConfirmations.status, 'pending'),
        gte(
          printConfirmations.receivedAt,
          sql`now() - make_interval(days => ${query.days})`,
        ),
      ),
    )
    .orderBy(desc(printConfirmations.receivedAt), desc(printConfirmations.id))
    .limit(query.limit)

  return Promise.all(rows.map((row) => describePending(row, store, query)))
}

async function describePending(
  row: ConfirmationRow,
  store: FileStore,
  query: LinkTerms,
): Promise<PendingConfirmation> {
  const files = await linkKeptFiles(row.files, store, query)

  return {
    id: row.id,
    work_order_name: row.workOrderName,
    gmail_thread_id: row.gmailThreadId,
    subject: row.subject,
    sender: row.senderEmail,
    received_at: row.receivedAt.toISOString(),
    files,
  }
}

/** An acknowledged confirmation, with where its Gmail label move stands. */
export interface AckedConfirmation extends PendingConfirmation {
  acked_at: string
  printpath_confirmation_id: string | null
  /** When the thread moved to the complete label; null while a job tries. */
  label_moved_at: string | null
}

/** Acknowledged confirmations, latest ack first, with links to the PDFs. */
export async function listAckedConfirmations(
  orm: MailContext['orm'],
  store: FileStore,
  query: LinkTerms & { limit: number },
): Promise<AckedConfirmation[]> {
  const rows = await orm
    .select()
    .from(printConfirmations)
    .where(eq(printConfirmations.status, 'acked'))
    .orderBy(desc(printConfirmations.ackedAt), desc(printConfirmations.id))
    .limit(query.limit)

  return Promise.all(
    rows.map(async (row) => ({
      ...(await describePending(row, store, query)),
      acked_at: row.ackedAt!.toISOString(),
      printpath_confirmation_id: row.printpathConfirmationId,
      label_moved_at: row.labelMovedAt?.toISOString() ?? null,
    })),
  )
}

/** PrintPath's acknowledgement of one confirmation. */
export interface Acknowledgement {
  gmailThreadId: string
  pressosRowId?: number
  printpathConfirmationId?: string
}

/** What an acknowledgement answers, the same however often it is sent. */
export interface AcknowledgedConfirmation {
  id: number
  gmail_thread_id: string
  work_order_name: string
  status: 'acked'
  acked_at: string
  printpath_confirmation_id: string | null
}

/**
 * Marks a confirmation acknowledged, logs `work_order.partner_confirmed`
 * and moves its thread to the complete label (or leaves that to a job when
 * Gmail fails). Acknowledging again changes nothing.
 *
 * @throws HttpProblem 404 for an unknown thread, 409 when `pressosRowId`
 *   names another thread's row.
 */
export async function acknowledgeConfirmation(
  context: MailContext,
  jobs: JobQueue,
  ack: Acknowledgement,
): Promise<AcknowledgedConfirmation> {
  const row = await findByThread(context, ack)
  if (row.status === 'pending') await recordAck(context, jobs, row, ack)

  const [now] = await context.orm
    .select()
    .from(printConfirmations)
    .where(eq(printConfirmations.id, row.id))
  if (!now!.labelMovedAt) await moveLabel(context, now!)

  return describeAck(now!)
}

async function findByThread(
  context: MailContext,
  ack: Acknowledgement,
): Promise<ConfirmationRow> {
  const [row] = await context.orm
    .select()
    .from(printConfirmations)
    .where(eq(printConfirmations.gmailThreadId, ack.gmailThreadId))
  if (!row) {
    throw new HttpProblem(
      404,
      'unknown-confirmation',
      'No such print confirmation',
      `No print confirmation came from Gmail thread ${ack.gmailThreadId}. ` +
        'GET /api/print-confirmation-pdf-uploads lists the pending ones.',
    )
  }
  if (ack.pressosRowId !== undefined && ack.pressosRowId !== row.id) {
    throw new HttpProblem(
      409,
      'confirmation-mismatch',
      'Row and thread do not match',
      `Row ${ack.pressosRowId} is not the confirmation of thread ` +
        `${ack.gmailThreadId} (that is row ${row.id}). Send the pair as ` +
        'the pending list gave it.',
    )
  }

  return row
}

async function recordAck(
  context: MailContext,
  jobs: JobQueue,
  row: ConfirmationRow,
  ack: Acknowledgement,
) {
  await context.orm.transaction(async (tx) => {
    const acked = await tx
      .update(printConfirmations)
      .set({
        status: 'acked',
        ackedAt: sql`now()`,
        printpathConfirmationId: ack.printpathConfirmationId ?? null,
      })
      .where(
        and(
          eq(printConfirmations.id, row.id),
          eq(printConfirmations.status, 'pending'),
        ),
      )
      .returning({ id: printConfirmations.id })
    if (acked.length === 0) return

    await context.activityLog.recordWithin(tx, {
      door: 'api.print-confirmation-pdf-uploads.ack',
      rawEventType: 'work_order.partner_confirmed',
      source: 'printpath',
      dedupeKey: `printpath:ack:${row.gmailThreadId}`,
      payload: {
        event_type: 'work_order.partner_confirmed',
        source: 'printpath',
        data: {
          print_confirmation_id: row.id,
          work_order_name: row.workOrderName,
          gmail_thread_id: row.gmailThreadId,
          printpath_confirmation_id: ack.printpathConfirmationId ?? null,
        },
      },
    })
    await jobs.enqueue(tx, CONFIRMATION_LABEL_QUEUE, [
      { data: { printConfirmationId: row.id } },
    ])
  })
}

/**
 * Moves the thread of a confirmation to the complete label and records it.
 * Returns whether it moved.
 */
export async function moveLabel(
  context: MailContext,
  row: ConfirmationRow,
): Promise<boolean> {
  const moved = await moveThreadLabel(
    context,
    row.gmailThreadId,
    context.labels.printConfirmation,
    context.labels.printConfirmationComplete,
  )
  if (moved) {
    await context.orm
      .update(printConfirmations)
      .set({ labelMovedAt: sql`now()` })
      .where(
        and(
          eq(printConfirmations.id, row.id),
          isNull(printConfirmations.labelMovedAt),
        ),
      )
  }

  return moved
}

/**
 * The job behind an acknowledgement: moves the label if that is still to
 * do, and throws when Gmail fails, so the queue tries again later.
 */
export async function finishLabelMove(
  context: MailContext,
  printConfirmationId: number,
): Promise<void> {
  const [row] = await context.orm
    .select()
    .from(printConfirmations)
    .where(eq(printConfirmations.id, printConfirmationId))
  if (!row || row.labelMovedAt) return

  if (!(await moveLabel(context, row))) {
    throw new Error(
      `Gmail did not move thread ${row.gmailThreadId} to ` +
        `"${context.labels.printConfirmationComplete}"`,
    )
  }
}

function describeAck(row: ConfirmationRow): AcknowledgedConfirmation {
  return {
    id: row.id,
    gmail_thread_id: row.gmailThreadId,
    work_order_name: row.workOrderName,
    status: 'acked',
    acked_at: row.ackedAt!.toISOString(),
    printpath_confirmation_id: row.printpathConfirmationId,
  }
}
