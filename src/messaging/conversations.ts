/**
 * Conversations: the text thread between one of the shop's numbers and one
 * customer's number, with when it last moved, how much of it is unread and
 * whether the customer opted out of texts.
 */
import { desc, eq, sql } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import {
  conversations,
  replyDrafts,
  smsMedia,
  smsMessages,
  voicemails,
} from '../storage/schema.js'

/** The two ends of a conversation. */
export interface ConversationEnds {
  shopNumber: string
  customerNumber: string
}

/** The id of the conversation between `ends`, starting it when new. */
export async function openConversation(
  tx: Orm,
  ends: ConversationEnds,
): Promise<number> {
  const [row] = await tx
    .insert(conversations)
    .values(ends)
    .onConflictDoUpdate({
      target: [conversations.shopNumber, conversations.customerNumber],
      set: { updatedAt: sql`now()` },
    })
    .returning({ id: conversations.id })

  return row!.id
}

/**
 * Counts something new from the customer: one more unread, and the last
 * message time moves on (never back). Returns whether they opted out.
 */
export async function noteIncoming(
  tx: Orm,
  conversationId: number,
  at: Date,
): Promise<{ optedOut: boolean }> {
  const [row] = await tx
    .update(conversations)
    .set({
      unreadCount: sql`${conversations.unreadCount} + 1`,
      lastMessageAt: sql`greatest(
        ${conversations.lastMessageAt},
        ${at.toISOString()}::timestamptz
      )`,
      updatedAt: sql`now()`,
    })
    .where(eq(conversations.id, conversationId))
    .returning({ optedOut: conversations.optedOut })

  return { optedOut: row!.optedOut }
}

/** Conversations, most recently active first, with their pending drafts. */
export async function listConversations(
  orm: Orm,
  page: { limit: number; offset: number },
) {
  const pendingDrafts = orm
    .select({
      conversationId: replyDrafts.conversationId,
      count: sql<number>`count(*)::int`.as('count'),
    })
    .from(replyDrafts)
    .where(eq(replyDrafts.status, 'pending'))
    .groupBy(replyDrafts.conversationId)
    .as('pending_drafts')

  return orm
    .select({
      id: conversations.id,
      shopNumber: conversations.shopNumber,
      customerNumber: conversations.customerNumber,
      optedOut: conversations.optedOut,
      unreadCount: conversations.unreadCount,
      lastMessageAt: conversations.lastMessageAt,
      pendingDrafts: sql<number>`coalesce(${pendingDrafts.count}, 0)`,
    })
    .from(conversations)
    .leftJoin(pendingDrafts, eq(pendingDrafts.conversationId, conversations.id))
    .orderBy(
      sql`${conversations.lastMessageAt} desc nulls last`,
      desc(conversations.id),
    )
    .limit(page.limit)
    .offset(page.offset)
}

/**
 * One conversation with its messages (and their media), voicemails and
 * reply drafts, oldest first; undefined when there is no such conversation.
 */
export async function readConversation(orm: Orm, conversationId: number) {
  const [conversation] = await orm
    .select()
    .from(conversations)
    .where(eq(conversations.id, conversationId))
  if (!conversation) return undefined

  const messages = await orm
    .select()
    .from(smsMessages)
    .where(eq(smsMessages.conversationId, conversationId))
    .orderBy(smsMessages.createdAt, smsMessages.id)
  const media = await orm
    .select({
      messageId: smsMedia.messageId,
      position: smsMedia.position,
      url: smsMedia.url,
      contentType: smsMedia.contentType,
    })
    .from(smsMedia)
    .innerJoin(smsMessages, eq(smsMessages.id, smsMedia.messageId))
    .where(eq(smsMessages.conversationId, conversationId))
    .orderBy(smsMedia.messageId, smsMedia.position)

  return {
    conversation,
    messages: messages.map((message) => ({
      ...message,
      media: media.filter((item) => item.messageId === message.id),
    })),
    voicemails: await orm
      .select()
      .from(voicemails)
      .where(eq(voicemails.conversationId, conversationId))
      .orderBy(voicemails.createdAt, voicemails.id),
    drafts: await orm
      .select()
      .from(replyDrafts)
      .where(eq(replyDrafts.conversationId, conversationId))
      .orderBy(replyDrafts.createdAt, replyDrafts.id),
  }
}
