/**
 * The shop's inbox: items a person should look at, with a status that moves
 * from new to seen, done or dismissed.
 */
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
