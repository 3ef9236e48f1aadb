/**
 * Text messages: customers' texts coming in, and the delivery status of
 * the shop's texts going out, keyed by Twilio's MessageSid.
 */
import { sql } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import {
  replyDrafts,
  smsMedia,
  smsMessages,
  smsStatusReports,
} from '../storage/schema.js'
import { statusRank } from './delivery-status.js'

/** A customer's text as Twilio delivered it. */
export interface IncomingText {
  messageSid: string
  from: string
  to: string
  body: string
  media: { url: string; contentType: string | null }[]
  params: Record<string, string>
}

/**
 * Stores an incoming text and its media in `conversationId`. Returns its
 * id, or undefined when the same MessageSid was stored before.
 */
export async function storeIncomingText(
  tx: Orm,
  text: IncomingText,
  conversationId: number,
): Promise<number | undefined> {
  const [row] = await tx
    .insert(smsMessages)
    .values({
      messageSid: text.messageSid,
      conversationId,
      direction: 'inbound',
      fromNumber: text.from,
      toNumber: text.to,
      body: text.body,
      numMedia: text.media.length,
      status: 'received',
      statusRank: statusRank('received'),
      params: text.params,
    })
    .onConflictDoNothing({ target: smsMessages.messageSid })
    .returning({ id: smsMessages.id })
  if (!row) return undefined

  if (text.media.length > 0) {
    await tx.insert(smsMedia).values(
      text.media.map((item, position) => ({
        messageId: row.id,
        position,
        url: item.url,
        contentType: item.contentType,
      })),
    )
  }

  return row.id
}

/** Puts a reply to `messageId` in the queue for a person to write. */
export async function queueReplyDraft(
  tx: Orm,
  conversationId: number,
  messageId: number,
): Promise<number | undefined> {
  const [row] = await tx
    .insert(replyDrafts)
    .values({ conversationId, inboundMessageId: messageId })
    .onConflictDoNothing()
    .returning({ id: replyDrafts.id })

  return row?.id
}

/** A delivery status callback for one of the shop's texts. */
export interface StatusReport {
  messageSid: string
  status: string
  errorCode: string | null
  from: string | null
  to: string | null
  params: Record<string, string>
}

/**
 * Records `report` and moves the message's status on when the report's
 * status comes later in a message's life than the one it has. A message
 * never seen before is kept with this status. Returns whether the report
 * was new and whether it changed the message.
 */
export async function applyStatusReport(
  tx: Orm,
  report: StatusReport,
  conversationId: number | null,
): Promise<{ repeated: boolean; changed: boolean }> {
  const [kept] = await tx
    .insert(smsStatusReports)
    .values({
      messageSid: report.messageSid,
      status: report.status,
      errorCode: report.errorCode,
      params: report.params,
    })
    .onConflictDoNothing()
    .returning({ id: smsStatusReports.id })
  if (!kept) return { repeated: true, changed: false }

  const changed = await tx
    .insert(smsMessages)
    .values({
      messageSid: report.messageSid,
      conversationId,
      direction: 'outbound',
      fromNumber: report.from,
      toNumber: report.to,
      status: report.status,
      statusRank: statusRank(report.status),
      errorCode: report.errorCode,
      params: report.params,
    })
    .onConflictDoUpdate({
      target: smsMessages.messageSid,
      set: {
        status: sql`excluded.status`,
        statusRank: sql`excluded.status_rank`,
        errorCode: sql`coalesce(excluded.error_code, ${smsMessages.errorCode})`,
        statusChangedAt: sql`now()`,
      },
      setWhere: sql`${smsMessages.statusRank} < excluded.status_rank`,
    })
    .returning({ id: smsMessages.id })

  return { repeated: false, changed: changed.length > 0 }
}
