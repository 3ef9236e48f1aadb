/**
 * `POST /api/pricing/quote` prices a quote request against the shop's price
 * list and keeps a snapshot; `GET /api/pricing/quotes/:id` reads one back.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { requireBodySignature } from '../guards/body-signature.js'
import {
  answerIdempotently,
  requireIdempotencyKey,
} from '../http/idempotent-requests.js'
import { HttpProblem } from '../http/problem.js'
import { pathId } from '../http/query-params.js'
import { readJsonObject } from '../http/request-body.js'
import {
  priceQuote,
  UnpriceableQuoteError,
  type PricedQuote,
} from '../pricing/quote-pricing.js'
import {
  readQuoteSnapshot,
  saveQuoteSnapshot,
} from '../pricing/quote-snapshots.js'
import {
  quoteRequestSchema,
  readQuoteRequest,
  type QuoteRequest,
} from '../pricing/quote-request.js'
import type { Orm } from '../storage/database.js'
import type { Door, DoorContext } from './door.js'
import { NETWORK_ONLY } from './door-security.js'

const DOOR_ID = 'api.pricing.quote'

const SIGNATURE_HEADERS = [
  'X-PressOS-Signature',
  'X-PrintBrain-Signature',
  'X-Signature',
]

/** The quote door. */
export const quoteDoor: Door = {
  id: DOOR_ID,
  section: 'integrations',
  path: '/api/pricing/quote',
  methods: ['POST'],
  accepts: ['application/json'],
  security: {
    scheme: 'hmac-signature',
    summary:
      'If pricing signing is turned on, the caller must prove the request ' +
      'with a signature matching your PressOS pricing secret. Includes a ' +
      'one-time id key per request.',
    technical:
      'If PRESSOS_PRICING_HMAC_SECRET is set: X-PressOS-Signature / ' +
      'X-PrintBrain-Signature / X-Signature (sha256= and the hex ' +
      'HMAC-SHA256 of the raw body). Idempotency-Key required.',
    signatureHeaders: SIGNATURE_HEADERS,
  },
  purpose:
    'Pricing quote requests (e.g. from MockupDesk); stores a snapshot for ' +
    'reference.',
  requestBody: {
    schema: ({ priceList }) => quoteRequestSchema(priceList),
  },
  idempotencyKey: 'required',
  success: {
    status: 201,
    mediaType: 'application/json',
    description: 'The priced quote and the id of its snapshot.',
  },
  refusals: [{ status: 422, when: 'The price list cannot price the request.' }],
  handler: (context) => (request, reply) =>
    receiveQuoteRequest(context, request, reply),
}

/** `GET /api/pricing/quotes/:id`. */
export const quoteSnapshotDoor: Door = {
  id: 'api.pricing.quotes.read',
  section: 'service',
  path: '/api/pricing/quotes/:id',
  methods: ['GET'],
  security: NETWORK_ONLY,
  purpose:
    'Returns a stored quote: the request, the priced result and the price ' +
    "list's version.",
  refusals: [{ status: 404, when: 'There is no quote with that id.' }],
  handler: (context) => async (request) => {
    const id = pathId(request, 'id')
    const snapshot = await readQuoteSnapshot(context.database.orm, id)
    if (!snapshot) {
      throw new HttpProblem(
        404,
        'not-found',
        'No such quote',
        `There is no quote ${id}; its id is in the answer to ` +
          'POST /api/pricing/quote.',
      )
    }

    return snapshot
  },
}

async function receiveQuoteRequest(
  context: DoorContext,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  requireBodySignature(request, {
    secrets: context.config.pricingSecrets,
    headers: SIGNATURE_HEADERS,
    variable: 'PRESSOS_PRICING_HMAC_SECRET',
  })
  requireIdempotencyKey(request)

  const body = readJsonObject(request)
  const quoteRequest = readQuoteRequest(body, context.priceList)
  const priced = price(context, quoteRequest)
  const source = typeof body.source === 'string' ? body.source : null
  const policy = { door: DOOR_ID, ttlHours: context.config.idempotencyTtlHours }

  return answerIdempotently(
    request,
    reply,
    context.database.orm,
    policy,
    async (tx) => {
      const id = await keepQuote(context, tx, body, priced, source)
      request.log.info(
        { quoteId: id, totalCents: priced.total_cents },
        'quote priced',
      )

      return { status: 201, body: { id, ...priced } }
    },
  )
}

function price(context: DoorContext, request: QuoteRequest): PricedQuote {
  const today = shopDate(context.config.shopTimeZone)
  try {
    return priceQuote(request, context.priceList, today)
  } catch (error) {
    if (!(error instanceof UnpriceableQuoteError)) throw error

    throw new HttpProblem(
      422,
      'unpriceable-quote',
      'The price list cannot price this request',
      error.message,
      { limit: error.limit },
    )
  }
}

async function keepQuote(
  context: DoorContext,
  tx: Orm,
  body: Record<string, unknown>,
  priced: PricedQuote,
  source: string | null,
): Promise<number> {
  const id = await saveQuoteSnapshot(tx, {
    request: body,
    result: priced,
    priceListVersion: priced.price_list_version,
    totalCents: priced.total_cents,
    currency: priced.currency,
    source,
  })
  await context.activityLog.recordWithin(tx, {
    door: DOOR_ID,
    rawEventType: 'quote.generated',
    source: source ?? 'pricing',
    payload: {
      event_type: 'quote.generated',
      source: source ?? 'pricing',
      data: {
        quote_id: id,
        total_cents: priced.total_cents,
        currency: priced.currency,
        price_list_version: priced.price_list_version,
        reference: body.reference ?? null,
        customer: body.customer ?? null,
      },
    },
  })

  return id
}

// A DateTimeFormat costs more to make than to use: one for each time zone.
const calendarDates = new Map<string, Intl.DateTimeFormat>()

/** Today's date (YYYY-MM-DD) on the shop's calendar. */
function shopDate(timeZone: string): string {
  let format = calendarDates.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })
    calendarDates.set(timeZone, format)
  }

  return format.format(new Date())
}
