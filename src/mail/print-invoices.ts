/**
 * Print invoices as kept: the rows `POST /api/gmail/ingest-print-invoices`
 * wrote, listed for people with a link to each PDF.
 */
import { desc } from 'drizzle-orm'
import type { FileStore } from '../files/file-store.js'
import type { Orm } from '../storage/database.js'
import { printInvoices } from '../storage/schema.js'
import { linkKeptFiles, type LinkTerms, type LinkedFile } from './kept-files.js'

/** A kept print invoice, with links to its PDFs. */
export interface ListedPrintInvoice {
  id: number
  gmail_thread_id: string
  subject: string
  sender_name: string | null
  sender_email: string
  /** When the partner sent it, ISO 8601 in UTC, when the mail said. */
  sent_at: string | null
  /** When it was pulled from Gmail, ISO 8601 in UTC. */
  kept_at: string
  files: LinkedFile[]
}

/** The newest `limit` print invoices, newest kept first. */
export async function listPrintInvoices(
  orm: Orm,
  store: FileStore,
  query: LinkTerms & { limit: number },
): Promise<ListedPrintInvoice[]> {
  const rows = await orm
    .select()
    .from(printInvoices)
    .orderBy(desc(printInvoices.createdAt), desc(printInvoices.id))
    .limit(query.limit)

  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      gmail_thread_id: row.gmailThreadId,
      subject: row.subject,
      sender_name: row.senderName,
      sender_email: row.senderEmail,
      sent_at: row.sentAt?.toISOString() ?? null,
      kept_at: row.createdAt.toISOString(),
      files: await linkKeptFiles(row.files, store, query),
    })),
  )
}
