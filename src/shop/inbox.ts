/**
 * The shop's inbox: items a person should look at, with a status that moves
 * from new to seen, done or dismissed.
 */
import { and, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm'
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

/** Which inbox items to list; an absent field does not filter. */
export interface InboxFilter {
  /** One status, or any of several. */
  status?: InboxStatus | readonly InboxStatus[]
  kind?: string
  source?: string
  limit: number
  offset: number
}

/** Inbox items, newest first, of the statuses, kind and source asked. */
export async function listInboxItems(
  orm: Orm,
  filter: InboxFilter,
): Promise<InboxItem[]> {
  const statuses = filter.status === undefined ? [] : [filter.status].flat()

  return orm
    .select()
    .from(inboxItems)
    .where(
      and(
        statuses.length > 0 ? inArray(inboxItems.status, statuses) : undefined,
        filter.kind ? eq(inboxItems.kind, filter.kind) : undefined,
        filter.source ? eq(inboxItems.source, filter.source) : undefined,
      ),
    )
    .orderBy(desc(inboxItems.createdAt), desc(inboxItems.id))
    .limit(filter.limit)
    .offset(filter.offset)
}

/** Every kind and every source the inbox's items name, sorted. */
export async function inboxKindsAndSources(
  orm: Orm,
): Promise<{ kinds: string[]; sources: string[] }> {
  const kinds = await orm
    .selectDistinct({ value: inboxItems.kind })
    .from(inboxItems)
    .where(isNotNull(inboxItems.kind))
    .orderBy(inboxItems.kind)
  const sources = await orm
    .selectDistinct({ value: inboxItems.source })
    .from(inboxItems)
    .where(isNotNull(inboxItems.source))
    .orderBy(inboxItems.source)

  return {
    kinds: kinds.map((row) => row.value!),
    sources: sources.map((row) => row.value!),
  }
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
