/**
 * The requests the benchmark sends, one scenario a door: each request made
 * unique by an id, so that the rows a target stored can be matched with the
 * answers the load driver counted.
 */
import { createHmac } from 'node:crypto'
import twilio from 'twilio'
import { incomingTextParams } from '../test/support/twilio-callbacks.js'

/** The secrets every benched target is started with. */
export const BENCH_SECRETS = {
  webhook: 'bench-webhook-secret-7d2e',
  twilioToken: 'bench-twilio-token-41c9',
  pricing: 'bench-pricing-secret-a83f',
  metrics: 'bench-metrics-token-5be0',
} as const

export const SCENARIO_NAMES = ['events', 'sms', 'quote'] as const

export type ScenarioName = (typeof SCENARIO_NAMES)[number]

/** One request of a scenario, ready to send. */
export interface BenchRequest {
  path: string
  headers: Record<string, string>
  body: string
}

/** What a scenario sends and where its requests' ids end up stored. */
export interface Scenario {
  name: ScenarioName
  title: string
  /** Builds the request whose unique id is `id`, sent to `origin`. */
  build(id: string, origin: string): BenchRequest
}

// Canonical names and legacy aliases, so that normalisation runs and
// follow-up rules match most events; one type is outside the catalogue.
const EVENT_TYPES = [
  'lead.new_inquiry',
  'mockup_approved',
  'mockup.approved',
  'production_started',
  'production.complete',
  'work_order_created',
  'separations_created',
  'shipping.delivered',
  'payment.received',
  'quote.sent',
]

/** `POST /webhooks/events` with the shared secret. */
export const eventsScenario: Scenario = {
  name: 'events',
  title: 'POST /webhooks/events',
  build(id) {
    const n = sequenceOf(id)
    const body = JSON.stringify({
      event_type: EVENT_TYPES[n % EVENT_TYPES.length],
      event_id: id,
      source: 'bench',
      work_order_id: `WO-${1000 + (n % 500)}`,
      occurred_at: new Date().toISOString(),
      data: {
        customer: { name: 'Rosa Diaz' },
        message: '48 hoodies, two-colour front print',
        quote_id: `Q-${n}`,
      },
    })

    return {
      path: '/webhooks/events',
      headers: {
        'content-type': 'application/json',
        'x-webhook-secret': BENCH_SECRETS.webhook,
      },
      body,
    }
  },
}

const SMS_PATH = '/webhooks/twilio/sms/inbound'

/** A customer's text, signed as Twilio signs it. */
export const smsScenario: Scenario = {
  name: 'sms',
  title: `POST ${SMS_PATH}`,
  build(id, origin) {
    const n = sequenceOf(id)
    // Texts come from many customers, not one conversation.
    const from = `+1503555${String(n % 1000).padStart(4, '0')}`
    const sid = smsSidOf(id)
    const params = incomingTextParams({
      MessageSid: sid,
      SmsSid: sid,
      SmsMessageSid: sid,
      From: from,
      Body: `Can you do ${12 + (n % 90)} hoodies by Friday? (${id})`,
    })
    const signature = twilio.getExpectedTwilioSignature(
      BENCH_SECRETS.twilioToken,
      origin + SMS_PATH,
      params,
    )

    return {
      path: SMS_PATH,
      headers: {
        host: new URL(origin).host,
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
      },
      body: new URLSearchParams(params).toString(),
    }
  },
}

/** A signed quote request with its own Idempotency-Key. */
export const quoteScenario: Scenario = {
  name: 'quote',
  title: 'POST /api/pricing/quote',
  build(id) {
    const n = sequenceOf(id)
    const body = JSON.stringify({
      customer: 'Lincoln High Boosters',
      reference: id,
      source: 'bench',
      items: [
        {
          style: 'Independent SS4500',
          colour: 'Black',
          dark: true,
          blank_cost_cents: 1000,
          sizes: { M: 10 + (n % 20), L: 12, '2XL': 2 },
          locations: [
            { name: 'back', colours: 1 },
            { name: 'front', colours: 2 },
          ],
        },
      ],
      rush: n % 2 === 0,
    })
    const hmac = createHmac('sha256', BENCH_SECRETS.pricing)
      .update(body)
      .digest('hex')

    return {
      path: '/api/pricing/quote',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': id,
        'x-pressos-signature': `sha256=${hmac}`,
      },
      body,
    }
  },
}

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  events: eventsScenario,
  sms: smsScenario,
  quote: quoteScenario,
}

/** The request id of the `n`th request of a run tagged `runTag`. */
export function requestId(runTag: string, n: number): string {
  return `${runTag}-${n}`
}

/** The MessageSid the SMS scenario sends for request `id`. */
export function smsSidOf(id: string): string {
  return `SM-${id}`
}

function sequenceOf(id: string): number {
  return Number(id.slice(id.lastIndexOf('-') + 1))
}
