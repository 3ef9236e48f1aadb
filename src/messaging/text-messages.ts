/**
 * Text messages: customers' texts coming in, and the delivery status of
 * the shop's texts going out, keyed by Twilio's MessageSid.
 */
import { sql } from 'drizzle-orm'
import { rowsOf, type Orm } from '../storage/database.js'
import {
  conversations,
  replyDrafts,
  smsMedia,
  smsMessages,
  smsStatusReports,
} from '../storage/schema.js'
import { statusRank } from './delivery-status.js'
import type { OptOutRequest } from './opt-out.js'

/** A customer's text as Twilio delivered it. */
export interface IncomingText {
  messageSid: string
  from: string
  to: string
  body: string
  media: { url: string; contentType: string | null }[]
  params: Record<string, string>
}

/** Where an incoming text was stored. */
export interface StoredText {
  /** The conversation between the text's two numbers, new or not. */
  conversationId: number
  /** Undefined when the same MessageSid was stored before. */
  messageId?: number
}

/**
 * Stores an incoming text and its media in the conversation between its
 * numbers, starting the conversation when new. The conversation and the
 * message go in one statement, one round trip to the database.
 */
export async function storeIncomingText(
  tx: Orm,
  text: IncomingText,
): Promise<StoredText> {
  const [row] = rowsOf<{ conversation_id: string; message_id: string | null }>(
    await tx.execute(insertConversationAndText(text)),
  )
  const conversationId = Number(row!.conversation_id)
  if (row!.message_id === null) return { conversationId }

  const messageId = Number(row!.message_id)
  if (text.media.length > 0) {
    await tx.insert(smsMedia).values(
      text.media.map((item, position) => ({
        messageId,
        position,
        url: item.url,
        contentType: item.contentType,
      })),
    )
  }

  return { conversationId, messageId }
}

// Opening the conversation touches its updated_at even for a repeated
// text, as opening it on its own would.
function insertConversationAndText(text: IncomingText) {
  return sql`
    with conversation as (
      insert into ${conversations} (shop_number, customer_number)
      values (${text.to}, ${text.from})
      on conflict (shop_number, customer_number)
        do update set updated_at = now()
      returning id
    ), message as (
      insert into ${smsMessages} (message_sid, conversation_id, direction,
        from_number, to_number, body, num_media, status, status_rank, params)
      select ${text.messageSid}::text, conversation.id, 'inbound',
        ${text.from}::text, ${text.to}::text, ${text.body}::text,
        ${text.media.length}::integer, 'received',
        ${statusRank('received')}::integer,
        ${JSON.stringify(text.params)}::jsonb
      from conversation
      on conflict (message_sid) do nothing
      returning id
    )
    select conversation.id::text as conversation_id,
      (select message.id::text from message) as message_id
    from conversation`
}

/** A text just stored, as its conversation counts it. */
export interface NotedText {
  conversationId: number
  messageId: number
  /** When it arrived. */
  at: Date
  /** The STOP or START it asks for, if any. */
  optOut: OptOutRequest | undefined
}

/**
 * Counts a new text from the customer in its conversation (one more
 * unread, the last message time moves on, never back), applies the STOP
 * or START it asked for, and queues a reply draft to `messageId` for a
 * person to write unless it asked either or the customer opted out. One
 * statement; returns the draft's id when one was queued.
 */
export async function noteIncomingText(
  tx: Orm,
  text: NotedText,
): Promise<number | undefined> {
  const [row] = rowsOf<{ draft_id: string | null }>(
    await tx.execute(sql`
      with noted as (
        update ${conversations} set
          unread_count = unread_count + 1,
          last_message_at = greatest(last_message_at,
            ${text.at.toISOString()}::timestamptz),
          ${optOutChange(text.optOut)}
          updated_at = now()
        where id = ${text.conversationId}
        returning opted_out
      ), draft as (
        insert into ${replyDrafts} (conversation_id, inbound_message_id)
        select ${text.conversationId}::bigint, ${text.messageId}::bigint
        from noted
        where not noted.opted_out and ${text.optOut === undefined}::boolean
        on conflict do nothing
        returning id
      )
      select (select draft.id::text from draft) as draft_id`),
  )

  return row!.draft_id === null ? undefined : Number(row!.draft_id)
}

function optOutChange(optOut: OptOutRequest | undefined) {
  if (optOut === 'stop') return sql`opted_out = true, opted_out_at = now(),`
  if (optOut === 'start') return sql`opted_out = false, opted_out_at = null,`

  return sql``
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
