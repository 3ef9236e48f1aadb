/**
 * The shop's inbox: items a person should look at, with a status that moves
 * from new to seen, done or dismissed.
 */
import { desc, eq, sql } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import { inboxItems } from '../storage/schema.js'

/** Statuses an inbox item can have. */
export const INBOX_STATUSES = ['new', 'seen', 'done', 'dismissed'] as const

/** A new inbox item and where it came from. */
export interface NewInboxItem {
  title: string
  body?: string | null
  priority: 'low' | 'normal' | 'high' | 'urgent'
  kind?: string | null
  source?: string | null
  workOrderId?: string | null
  eventId?: number | null
  tags?: string[]
  links?: unknown[]
  /** How sure the system that found it is, from 0 to 1. */
  confidence?: number | null
  /** The node of another system's graph it is about. */
  graphNodeId?: string | null
  graphNodeLabel?: string | null
  /** The rule run and action that created it; each creates at most one. */
  ruleRunId?: number | null
  actionIndex?: number | null
}

/**
 * Adds an item to the inbox. A rule action that already created its item
 * creates nothing more; the id of the item is returned either way.
 */
export async function createInboxItem(
  tx: Orm,
  item: NewInboxItem,
): Promise<number | undefined> {
  const [row] = await tx
    .insert(inboxItems)
    .values({ ...item, tags: item.tags ?? [], links: item.links ?? [] })
    .onConflictDoNothing()
    .returning({ id: inboxItems.id })

  return row?.id
}

/** One inbox item as stored. */
export type InboxItem = typeof inboxItems.$inferSelect

/** Adds `item` to the inbox and returns it whole. */
export async function addInboxItem(
  tx: Orm,
  item: NewInboxItem,
): Promise<InboxItem> {
  const [row] = await tx
    .insert(inboxItems)
    .values({ ...item, tags: item.tags ?? [], links: item.links ?? [] })
    .returning()

  return row!
}

/** Inbox items, newest first, optionally of one status only. */
export async function listInboxItems(
  orm: Orm,
  filter: { status?: InboxStatus; limit: number; offset: number },
): Promise<InboxItem[]> {
  return orm
    .select()
    .from(inboxItems)
    .where(filter.status ? eq(inboxItems.status, filter.status) : undefined)
    .orderBy(desc(inboxItems.createdAt), desc(inboxItems.id))
    .limit(filter.limit)
    .offset(filter.offset)
}

/** Moves an inbox item to `status`; undefined when there is no such item. */
export async function setInboxStatus(
  orm: Orm,
  id: number,
  status: InboxStatus,
): Promise<InboxItem | undefined> {
  const [row] = await orm
    .update(inboxItems)
    .set({ status, updatedAt: sql`now()` })
    .where(eq(inboxItems.id, id))
    .returning()

  return row
}

/** A status an inbox item can have. */
export type InboxStatus = (typeof INBOX_STATUSES)[number]
