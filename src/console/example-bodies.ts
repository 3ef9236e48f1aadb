/**
 * What a caller might send each door, for the example requests of the
 * webhooks page: real bodies each door accepts, not placeholders.
 */
import type { PriceList } from '../pricing/price-list.js'

/** JSON bodies by door id; the quote's is built from the price list. */
const JSON_BODIES: Record<string, unknown> = {
  'webhooks.events': {
    event_type: 'mockup.approved',
    event_id: 'md-evt-1042',
    source: 'mockupdesk',
    work_order_id: 'WO-1042',
    occurred_at: '2026-03-02T15:04:00Z',
    data: { approved_by: 'Lincoln High Boosters', revision: 2 },
  },
  'api.inbox.insights': {
    title: 'Black SS4500 hoodies run short at the supplier',
    body: 'Two open work orders need 48 pieces; the warehouse shows 30.',
    source: 'printbrain',
    kind: 'inventory',
    priority: 'high',
    work_order_id: 'WO-1042',
  },
  'api.roadmap.ingest': {
    workspaces: [
      {
        id: 'shop-floor',
        name: 'Shop floor',
        items: [
          {
            id: 'press-4',
            title: 'Install the fourth press',
            status: 'in_progress',
            progress: 0.4,
          },
        ],
      },
    ],
  },
  'api.print-confirmation-pdf-uploads.ack': {
    gmail_thread_id: '18e4f2a9c0b1d2e3',
    printpath_confirmation_id: 'PP-3310',
  },
  'inbox.update': { status: 'seen' },
  'api.push.subscriptions.remove': {
    endpoint: 'https://push.example.net/send/abc123',
  },
}

/** The body of an example quote request, priced by `priceList`. */
function quoteBody(priceList: PriceList) {
  const pieces = Math.max(priceList.minimum_quantity, 24)

  return {
    customer: 'Lincoln High Boosters',
    reference: 'MD-5521',
    source: 'mockupdesk',
    items: [
      {
        style: 'Gildan 5000',
        colour: 'White',
        dark: false,
        blank_cost_cents: 350,
        sizes: { M: pieces },
        locations: [{ name: priceList.locations[0] ?? 'front', colours: 1 }],
      },
    ],
    rush: false,
  }
}

/** The example JSON body of door `doorId`, or undefined when it takes none. */
export function exampleJsonBody(
  doorId: string,
  priceList: PriceList,
): string | undefined {
  const body =
    doorId === 'api.pricing.quote' ? quoteBody(priceList) : JSON_BODIES[doorId]

  return body === undefined ? undefined : JSON.stringify(body, null, 2)
}

const TEXT_SID = 'SM0f3c1e5d7a9b2c4d6e8f0a1b3c5d7e9f'
const ACCOUNT_SID = 'AC00000000000000000000000000000000'
const SHOP_NUMBER = '+15035550100'
const CUSTOMER_NUMBER = '+15035550199'

/** Parameters Twilio posts to each of its doors, by door id. */
const TWILIO_PARAMS: Record<string, Record<string, string>> = {
  'twilio.sms.inbound': {
    AccountSid: ACCOUNT_SID,
    MessageSid: TEXT_SID,
    From: CUSTOMER_NUMBER,
    To: SHOP_NUMBER,
    Body: 'Can you do 48 hoodies by Friday?',
    NumMedia: '0',
  },
  'twilio.sms.status': {
    AccountSid: ACCOUNT_SID,
    MessageSid: TEXT_SID,
    MessageStatus: 'delivered',
    From: SHOP_NUMBER,
    To: CUSTOMER_NUMBER,
  },
  'twilio.voicemail-transcription': transcriptionParams(),
  'twilio.voice.voicemail-transcription': transcriptionParams(),
}

function transcriptionParams(): Record<string, string> {
  return {
    AccountSid: ACCOUNT_SID,
    TranscriptionSid: 'TR0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    TranscriptionStatus: 'completed',
    TranscriptionText: 'Hi, calling about the hoodie order, call me back.',
    RecordingSid: 'RE0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    CallSid: 'CA0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    From: CUSTOMER_NUMBER,
    To: SHOP_NUMBER,
  }
}

/** The example form parameters Twilio would post to door `doorId`. */
export function exampleTwilioParams(
  doorId: string,
): Record<string, string> | undefined {
  return TWILIO_PARAMS[doorId]
}
