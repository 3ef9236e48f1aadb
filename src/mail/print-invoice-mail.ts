/**
 * Print partners' invoices that arrive by mail: each thread with the Print
 * Invoice label has its PDFs kept and a row written, then moves to the
 * processed label.
 */
import { isPdf, type MailThread } from '../gmail/mail-message.js'
import { printInvoices } from '../storage/schema.js'
import type { IngestPlan, ThreadOutcome } from './ingest-run.js'
import { keepAttachments } from './kept-files.js'
import { moveThreadLabel, type MailContext } from './mail-context.js'
import { finishClaim } from './thread-claims.js'

/** Where invoice PDFs are kept. */
export const PRINT_INVOICE_FILES = 'PrintInvoices'

/** The plan of `POST /api/gmail/ingest-print-invoices`. */
export function printInvoicePlan(context: MailContext): IngestPlan {
  const { printInvoice, printInvoiceProcessed } = context.labels
  const moveOn = (threadId: string) =>
    moveThreadLabel(context, threadId, printInvoice, printInvoiceProcessed)

  return {
    kind: 'print_invoice',
    label: printInvoice,
    handle: async (thread) => {
      const outcome = await ingestInvoice(context, thread)
      if ('skipped' in outcome) return outcome

      const labelMoved = await moveOn(thread.id)

      return { ingested: { ...outcome.ingested, label_moved: labelMoved } }
    },
    revisit: async (threadId) => {
      await moveOn(threadId)
    },
  }
}

async function ingestInvoice(
  context: MailContext,
  thread: MailThread,
): Promise<ThreadOutcome> {
  const carrier = thread.messages.find((m) => m.attachments.some(isPdf))
  if (!carrier) return { skipped: 'no PDF attached to any message' }

  const files = await keepAttachments(
    context.mailbox,
    context.store,
    thread,
    PRINT_INVOICE_FILES,
    isPdf,
  )

  const id = await context.orm.transaction(async (tx) => {
    const [row] = await tx
      .insert(printInvoices)
      .values({
        gmailThreadId: thread.id,
        gmailMessageId: carrier.id,
        senderName: carrier.from.name,
        senderEmail: carrier.from.email,
        subject: carrier.subject,
        sentAt: carrier.date,
        files,
      })
      .returning({ id: printInvoices.id })
    await context.activityLog.recordWithin(tx, {
      door: 'api.gmail.ingest-print-invoices',
      rawEventType: 'print_invoice.ingested',
      source: 'gmail',
      dedupeKey: `gmail:print-invoice:${thread.id}`,
      payload: {
        event_type: 'print_invoice.ingested',
        source: 'gmail',
        data: {
          print_invoice_id: row!.id,
          gmail_thread_id: thread.id,
          sender: carrier.from.email,
          subject: carrier.subject,
          files: files.map((file) => file.fileName),
        },
      },
    })
    await finishClaim(tx, 'print_invoice', thread.id)

    return row!.id
  })

  return { ingested: { print_invoice_id: id, files: files.length } }
}
