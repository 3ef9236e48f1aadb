/**
 * `<console>/rejected`: the latest requests the doors refused, newest
 * first, with why in plain words, who sent them and their headers (secrets
 * masked before they were kept).
 */
import type { FastifyInstance } from 'fastify'
import {
  REFUSALS_KEPT_PER_DOOR,
  type DoorRefusal,
} from '../../observability/door-journal.js'
import type { ConsoleContext } from '../console-context.js'
import { renderPage } from '../console-views.js'
import { shopTime } from '../display-formats.js'
import { refusalPhrase } from '../refusal-reasons.js'

/** Refusals shown at once. */
export const REFUSALS_SHOWN = 100

/** Registers the rejected requests page. */
export function rejectedPage(scope: FastifyInstance, context: ConsoleContext) {
  const page = `${context.config.basePath}/console/rejected`
  const doorIds = context.doors.map((door) => door.id)

  scope.get(page, async (request, reply) => {
    const asked = (request.query as { door?: unknown }).door
    const door = typeof asked === 'string' && asked !== '' ? asked : undefined
    const known = door === undefined || doorIds.includes(door)
    const refusals = known
      ? await context.doorJournal.recentRefusals(door, REFUSALS_SHOWN)
      : []

    return renderPage(request, reply, './rejected', {
      title: 'Rejected requests',
      doorIds,
      door,
      known,
      rows: refusals.map((r) => refusalRow(r, context.config.shopTimeZone)),
      shown: REFUSALS_SHOWN,
      keptPerDoor: REFUSALS_KEPT_PER_DOOR,
    })
  })
}

function refusalRow(refusal: DoorRefusal, timeZone: string) {
  return {
    ...refusal,
    at: shopTime(refusal.refusedAt, timeZone),
    phrase: refusalPhrase(refusal.reason),
    headerList: headersOf(refusal.headers),
  }
}

// Kept as a JSON object of strings by the journal.
function headersOf(headers: unknown): [string, string][] {
  if (headers === null || typeof headers !== 'object') return []

  return Object.entries(headers).map(([name, value]) => [name, String(value)])
}
