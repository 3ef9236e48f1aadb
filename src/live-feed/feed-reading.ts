/**
 * Reading the activity log back for people: the newest events first, a page
 * at a time, narrowed by type, source, work order or door, each with a
 * count of its follow-up rule runs by status.
 */
import { and, asc, desc, eq, gt, inArray, lt, or, sql } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import { activityEvents, ruleRuns } from '../storage/schema.js'

/** What a reader narrows the feed to; an absent field narrows nothing. */
export interface FeedFilters {
  /** Matches the canonical type or the type exactly as sent. */
  eventType?: string
  source?: string
  workOrderId?: string
  door?: string
}

/** One event of the activity log as the feed lists it. */
export type FeedEvent = Pick<
  typeof activityEvents.$inferSelect,
  | 'id'
  | 'door'
  | 'eventType'
  | 'rawEventType'
  | 'recognised'
  | 'source'
  | 'workOrderId'
  | 'receivedAt'
  | 'derivedFromEventId'
> & { ruleRuns: RuleRunCounts }

/** How many rule runs of one event are in each status. */
export type RuleRunCounts = Partial<Record<string, number>>

/** A stored event in full. */
export type StoredActivityEvent = typeof activityEvents.$inferSelect

/** A rule run in full. */
export type StoredRuleRun = typeof ruleRuns.$inferSelect

const FEED_COLUMNS = {
  id: activityEvents.id,
  door: activityEvents.door,
  eventType: activityEvents.eventType,
  rawEventType: activityEvents.rawEventType,
  recognised: activityEvents.recognised,
  source: activityEvents.source,
  workOrderId: activityEvents.workOrderId,
  receivedAt: activityEvents.receivedAt,
  derivedFromEventId: activityEvents.derivedFromEventId,
}

/**
 * Up to `limit` events matching `filters`, newest first, older than the
 * event `before` when given.
 */
export async function listFeedEvents(
  orm: Orm,
  filters: FeedFilters,
  page: { before?: number | undefined; limit: number },
): Promise<FeedEvent[]> {
  const older =
    page.before === undefined ? undefined : lt(activityEvents.id, page.before)
  const rows = await orm
    .select(FEED_COLUMNS)
    .from(activityEvents)
    .where(and(whereFilters(filters), older))
    .orderBy(desc(activityEvents.id))
    .limit(page.limit)

  return withRuleRunCounts(orm, rows)
}

/**
 * Up to `limit` events matching `filters` stored after the event `after`,
 * oldest first: what a reader who saw up to `after` has missed.
 */
export async function listFeedEventsAfter(
  orm: Orm,
  filters: FeedFilters,
  after: number,
  limit: number,
): Promise<FeedEvent[]> {
  const rows = await orm
    .select(FEED_COLUMNS)
    .from(activityEvents)
    .where(and(whereFilters(filters), gt(activityEvents.id, after)))
    .orderBy(asc(activityEvents.id))
    .limit(limit)

  return withRuleRunCounts(orm, rows)
}

/** The event `id` as the feed lists it, or undefined when there is none. */
export async function findFeedEvent(
  orm: Orm,
  id: number,
): Promise<FeedEvent | undefined> {
  const rows = await orm
    .select(FEED_COLUMNS)
    .from(activityEvents)
    .where(eq(activityEvents.id, id))
  const [event] = await withRuleRunCounts(orm, rows)

  return event
}

/** True when `event` is one that `filters` let through. */
export function matchesFeedFilters(
  event: Pick<
    FeedEvent,
    'eventType' | 'rawEventType' | 'source' | 'workOrderId' | 'door'
  >,
  filters: FeedFilters,
): boolean {
  const type = filters.eventType
  if (type && event.eventType !== type && event.rawEventType !== type) {
    return false
  }
  if (filters.source && event.source !== filters.source) return false
  if (filters.workOrderId && event.workOrderId !== filters.workOrderId) {
    return false
  }

  return !filters.door || event.door === filters.door
}

/** Everything about one event: itself, its rule runs, its relatives. */
export interface EventDetails {
  event: StoredActivityEvent
  ruleRuns: StoredRuleRun[]
  /** The event a follow-up rule emitted this one from. */
  derivedFrom: FeedEvent | undefined
  /** Events follow-up rules emitted from this one. */
  derived: FeedEvent[]
}

/** The event `id` with its rule runs and relatives, if it exists. */
export async function findEventDetails(
  orm: Orm,
  id: number,
): Promise<EventDetails | undefined> {
  const [event] = await orm
    .select()
    .from(activityEvents)
    .where(eq(activityEvents.id, id))
  if (!event) return undefined

  const runs = await listRuleRuns(orm, id)
  const derivedRows = await orm
    .select(FEED_COLUMNS)
    .from(activityEvents)
    .where(eq(activityEvents.derivedFromEventId, id))
    .orderBy(asc(activityEvents.id))
  const parentId = event.derivedFromEventId

  return {
    event,
    ruleRuns: runs,
    derivedFrom:
      parentId === null ? undefined : await findFeedEvent(orm, parentId),
    derived: await withRuleRunCounts(orm, derivedRows),
  }
}

/** The rule runs of the event `eventId`, in the order they were made. */
export function listRuleRuns(
  orm: Orm,
  eventId: number,
): Promise<StoredRuleRun[]> {
  return orm
    .select()
    .from(ruleRuns)
    .where(eq(ruleRuns.eventId, eventId))
    .orderBy(asc(ruleRuns.id))
}

function whereFilters(filters: FeedFilters) {
  const type = filters.eventType

  return and(
    type
      ? or(
          eq(activityEvents.eventType, type),
          eq(activityEvents.rawEventType, type),
        )
      : undefined,
    filters.source ? eq(activityEvents.source, filters.source) : undefined,
    filters.workOrderId
      ? eq(activityEvents.workOrderId, filters.workOrderId)
      : undefined,
    filters.door ? eq(activityEvents.door, filters.door) : undefined,
  )
}

async function withRuleRunCounts<Row extends { id: number }>(
  orm: Orm,
  rows: Row[],
): Promise<(Row & { ruleRuns: RuleRunCounts })[]> {
  if (rows.length === 0) return []

  const counts = await orm
    .select({
      eventId: ruleRuns.eventId,
      status: ruleRuns.status,
      runs: sql<number>`count(*)::int`,
    })
    .from(ruleRuns)
    .where(
      inArray(
        ruleRuns.eventId,
        rows.map((row) => row.id),
      ),
    )
    .groupBy(ruleRuns.eventId, ruleRuns.status)

  const byEvent = new Map<number, RuleRunCounts>()
  for (const count of counts) {
    const forEvent = byEvent.get(count.eventId) ?? {}
    forEvent[count.status] = Number(count.runs)
    byEvent.set(count.eventId, forEvent)
  }

  return rows.map((row) => ({ ...row, ruleRuns: byEvent.get(row.id) ?? {} }))
}
