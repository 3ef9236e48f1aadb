/**
 * Print partners' proof approvals that arrive by mail: a thread with the
 * Print Confirmation label whose subject reads "Proof approval needed" and
 * a work-order name, carrying at least two PDFs, has its PDFs kept and a
 * row written for PrintPath to collect. The label stays until PrintPath
 * acknowledges it.
 */
import { isPdf, type MailThread } from '../gmail/mail-message.js'
import { printConfirmations } from '../storage/schema.js'
import type { IngestPlan, ThreadOutcome } from './ingest-run.js'
import { keepAttachments } from './kept-files.js'
import type { MailContext } from './mail-context.js'
import { proofApprovalWorkOrder } from './mail-subjects.js'
import { finishClaim } from './thread-claims.js'

/** Where confirmation PDFs are kept, as PrintPath expects. */
export const PRINT_CONFIRMATION_FILES = 'PrintPartnerConfirmations'

/** Fewest PDFs a proof approval carries. */
export const MIN_CONFIRMATION_PDFS = 2

/** The plan of `POST /api/gmail/ingest-print-confirmations`. */
export function printConfirmationPlan(context: MailContext): IngestPlan {
  return {
    kind: 'print_confirmation',
    label: context.labels.printConfirmation,
    handle: (thread) => ingestConfirmation(context, thread),
  }
}

async function ingestConfirmation(
  context: MailContext,
  thread: MailThread,
): Promise<ThreadOutcome> {
  const first = thread.messages[0]
  if (!first) return { skipped: 'the thread has no messages' }

  const workOrderName = proofApprovalWorkOrder(first.subject)
  if (workOrderName === undefined) {
    return {
      skipped:
        `subject "${first.subject}" is not "Proof approval needed" ` +
        'followed by a work-order name',
    }
  }

  const pdfCount = thread.messages.flatMap((m) =>
    m.attachments.filter(isPdf),
  ).length
  if (pdfCount < MIN_CONFIRMATION_PDFS) {
    return {
      skipped:
        `${pdfCount} PDF${pdfCount === 1 ? '' : 's'} attached; a proof ` +
        `approval needs at least ${MIN_CONFIRMATION_PDFS}`,
    }
  }

  return storeConfirmation(context, thread, workOrderName)
}

async function storeConfirmation(
  context: MailContext,
  thread: MailThread,
  workOrderName: string,
): Promise<ThreadOutcome> {
  const first = thread.messages[0]!
  const files = await keepAttachments(
    context.mailbox,
    context.store,
    thread,
    PRINT_CONFIRMATION_FILES,
    isPdf,
  )
  const latest = thread.messages[thread.messages.length - 1]!

  const id = await context.orm.transaction(async (tx) => {
    const [row] = await tx
      .insert(printConfirmations)
      .values({
        gmailThreadId: thread.id,
        gmailMessageId: latest.id,
        workOrderName,
        subject: first.subject,
        senderEmail: first.from.email,
        receivedAt: latest.date ?? new Date(),
        files,
      })
      .returning({ id: printConfirmations.id })
    await context.activityLog.recordWithin(tx, {
      door: 'api.gmail.ingest-print-confirmations',
      rawEventType: 'print_confirmation.ready',
      source: 'gmail',
      dedupeKey: `gmail:print-confirmation:${thread.id}`,
      payload: {
        event_type: 'print_confirmation.ready',
        source: 'gmail',
        data: {
          print_confirmation_id: row!.id,
          work_order_name: workOrderName,
          gmail_thread_id: thread.id,
          files: files.map((file) => file.fileName),
        },
      },
    })
    await finishClaim(tx, 'print_confirmation', thread.id)

    return row!.id
  })

  return {
    ingested: {
      print_confirmation_id: id,
      work_order_name: workOrderName,
      files: files.length,
    },
  }
}
