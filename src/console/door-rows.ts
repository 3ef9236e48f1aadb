/**
 * The doors as the webhooks page lists them: grouped in the PressOS order
 * of sections, each with its full address here, whether its secret is set,
 * an example request and its traffic of the last day.
 */
import type { Config } from '../config/environment.js'
import type { Door, DoorSection } from '../doors/door.js'
import type { DoorActivity } from '../observability/door-journal.js'
import type { PriceList } from '../pricing/price-list.js'
import { shopTime, type ShownTime } from './display-formats.js'
import {
  CREDENTIAL_BADGES,
  credentialsOf,
  type DoorCredentials,
} from './door-credentials.js'
import { exampleFor, type DoorExample } from './door-examples.js'
import { refusalPhrase } from './refusal-reasons.js'

/** A section of the page: heading, what its doors have in common. */
export interface DoorGroup {
  section: DoorSection
  heading: string
  intro: string
  doors: DoorRow[]
}

/** One door on the page. */
export interface DoorRow {
  door: Door
  /** Its absolute URL on this deployment. */
  url: string
  credentials: DoorCredentials
  badge: (typeof CREDENTIAL_BADGES)[keyof typeof CREDENTIAL_BADGES]
  example: DoorExample
  traffic: DoorTraffic
}

/** A door's requests of the last 24 hours. */
export interface DoorTraffic {
  lastRequest: ShownTime | undefined
  answered: number
  refused: number
  /** Refusals by reason, in plain words, most frequent first. */
  reasons: { slug: string; phrase: string; count: number }[]
}

const SECTIONS: readonly Omit<DoorGroup, 'doors'>[] = [
  {
    section: 'live-feed',
    heading: 'Live feed (unified webhook)',
    intro:
      'Your tools (MockupDesk, PrintPath, SeparationsAI and the rest) ' +
      'post JSON events to one address, and Twilio posts texts and ' +
      'voicemail transcriptions to its own. Costing and invoicing events ' +
      'use canonical types such as cogs.blank_matched, ' +
      'payment.stripe_fee_matched, shipping.cost_matched, ' +
      'invoice.print_matched and invoice.paid (all listed below).',
  },
  {
    section: 'integrations',
    heading: 'Integrations (HMAC + idempotency)',
    intro:
      'Other servers post JSON here. Every request needs an ' +
      'Idempotency-Key header, so a retry is acted on only once; when the ' +
      "door's secret is set, the body must also carry an HMAC-SHA256 " +
      'signature.',
  },
  {
    section: 'automation',
    heading: 'Scheduled / automation (HTTP triggers)',
    intro:
      'Usually called by cron on the app host. They take no password of ' +
      'their own, except the mail doors once INVOICE_WORKFLOW_API_KEY is ' +
      'set; otherwise this service answers only callers on its trusted ' +
      'networks.',
  },
  {
    section: 'service',
    heading: 'Service and reads',
    intro:
      "Health checks, reads of the shop's data, push subscriptions, file " +
      'links and the API description: used by the console, monitors and ' +
      "the shop's own scripts.",
  },
]

/** What the rows are built from. */
export interface DoorRowInput {
  doors: readonly Door[]
  config: Config
  priceList: PriceList
  activity: Map<string, DoorActivity>
  /** A door's absolute URL on this deployment. */
  urlOf: (door: Door) => string
}

/** The page's sections, each with its doors in registry order. */
export function groupDoors(input: DoorRowInput): DoorGroup[] {
  return SECTIONS.map((group) => ({
    ...group,
    doors: input.doors
      .filter((door) => door.section === group.section)
      .map((door) => rowOf(door, input)),
  }))
}

function rowOf(door: Door, input: DoorRowInput): DoorRow {
  const url = input.urlOf(door)
  const credentials = credentialsOf(door, input.config)
  const example = exampleFor({
    door,
    url,
    credentials,
    priceList: input.priceList,
  })
  const activity = input.activity.get(door.id)

  return {
    door,
    url,
    credentials,
    badge: CREDENTIAL_BADGES[credentials.state],
    example,
    traffic: trafficOf(activity, input.config.shopTimeZone),
  }
}

function trafficOf(
  activity: DoorActivity | undefined,
  timeZone: string,
): DoorTraffic {
  if (!activity) {
    return { lastRequest: undefined, answered: 0, refused: 0, reasons: [] }
  }

  return {
    lastRequest: shopTime(activity.lastRequestAt, timeZone),
    answered: activity.answered,
    refused: activity.refused,
    reasons: activity.refusalReasons.map(({ reason, count }) => ({
      slug: reason,
      phrase: refusalPhrase(reason),
      count,
    })),
  }
}
