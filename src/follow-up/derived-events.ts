/**
 * Events that follow-up rules emit. They land in the activity log like any
 * other and run their own rules, but a chain of them is cut off before it
 * can go on for ever.
 */
import { eq } from 'drizzle-orm'
import type {
  ActivityLog,
  IncomingEvent,
  StoredEvent,
} from '../live-feed/activity-log.js'
import type { Orm } from '../storage/database.js'
import { activityEvents } from '../storage/schema.js'
import { ActionError } from './rule-actions.js'

/** How many derived events may stand between one and an event that came in. */
export const MAX_DERIVED_DEPTH = 3

/**
 * Stores a derived event in `tx`.
 *
 * @throws ActionError when its chain of derived events is already too long.
 */
export async function storeDerivedEvent(
  tx: Orm,
  event: IncomingEvent,
  activityLog: ActivityLog,
): Promise<StoredEvent> {
  const depth = await derivationDepth(tx, event.derivedFromEventId ?? null)
  if (depth >= MAX_DERIVED_DEPTH) {
    throw new ActionError(
      `event ${event.derivedFromEventId} is already ${depth} steps from ` +
        `an event that came in; emitting "${event.rawEventType}" would ` +
        'continue a chain of rules that may not end. Check the rules file ' +
        'for rules that emit the events they react to.',
    )
  }

  return activityLog.recordWithin(tx, event)
}

async function derivationDepth(tx: Orm, eventId: number | null) {
  let depth = 0
  let cursor = eventId
  while (cursor !== null && depth <= MAX_DERIVED_DEPTH) {
    const [row] = await tx
      .select({ parent: activityEvents.derivedFromEventId })
      .from(activityEvents)
      .where(eq(activityEvents.id, cursor))
    cursor = row?.parent ?? null
    if (cursor !== null) depth += 1
  }

  return depth
}
