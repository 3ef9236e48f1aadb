/**
 * `POST /webhooks/events`: the live feed. Tools send events with the shared
 * webhook secret; each lands in the activity log with its follow-up rule
 * runs queued, before the answer goes back.
 */
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  requireWebhookSecret,
  WEBHOOK_SECRET_VARIABLES,
} from '../guards/webhook-secret.js'
import { readIdempotencyKey } from '../http/idempotency-key.js'
import { HttpProblem } from '../http/problem.js'
import { readJsonObject } from '../http/request-body.js'
import {
  ActivityLogFullError,
  ReusedKeyError,
  type IncomingEvent,
} from '../live-feed/activity-log.js'
import { EVENT_BODY_SCHEMA, readEventBody } from '../live-feed/event-input.js'
import type { Door, DoorContext } from './door.js'

const DOOR_ID = 'webhooks.events'

/** The live-feed door. */
export const eventsDoor: Door = {
  id: DOOR_ID,
  section: 'live-feed',
  path: '/webhooks/events',
  methods: ['POST'],
  accepts: ['application/json'],
  security: {
    scheme: 'shared-secret',
    summary:
      'Callers must send a shared secret in the request (like a password ' +
      'only your tools know). It has to match the webhook secret ' +
      'configured for this PressOS server.',
    technical:
      `Header X-Webhook-Secret must match ` +
      `${WEBHOOK_SECRET_VARIABLES.join(', ')} (each may list several ` +
      'comma-separated values for rotation). Optional Idempotency-Key.',
  },
  purpose:
    'Receives events from your tools, saves them to the activity log, and ' +
    'runs follow-up rules.',
  requestBody: { schema: EVENT_BODY_SCHEMA },
  idempotencyKey: 'optional',
  success: {
    status: 202,
    mediaType: 'application/json',
    description:
      'Stored in the activity log (or recognised as a repeat) with its ' +
      'follow-up rule runs queued.',
  },
  handler: (context) => (request, reply) =>
    receiveEvent(context, request, reply),
}

async function receiveEvent(
  context: DoorContext,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  requireWebhookSecret(request, context.config.webhookSecrets)

  const body = readJsonObject(request)
  const fields = readEventBody(body)
  const idempotencyKey = readIdempotencyKey(request)

  const incoming: IncomingEvent = {
    door: DOOR_ID,
    rawEventType: fields.eventType,
    eventId: fields.eventId,
    source: fields.source,
    workOrderId: fields.workOrderId,
    occurredAt: fields.occurredAt,
    payload: body,
    requestId: request.id,
    ...dedupeFor(fields, idempotencyKey, request.rawBody!),
  }

  const stored = await record(context, incoming)
  request.log.debug(
    { eventId: stored.id, eventType: stored.eventType ?? fields.eventType },
    stored.duplicate ? 'event repeated; kept the first copy' : 'event stored',
  )

  return reply.code(202).send({
    id: stored.id,
    event_type: stored.eventType ?? fields.eventType,
    raw_event_type: fields.eventType,
    recognised: stored.recognised,
    duplicate: stored.duplicate,
    follow_ups_queued: stored.ruleRunIds.length,
    ...(stored.recognised ? {} : { warning: unrecognisedWarning(fields) }),
  })
}

function dedupeFor(
  fields: { eventId: string | null; source: string | null },
  idempotencyKey: string | undefined,
  raw: Buffer,
): Partial<IncomingEvent> {
  const bodySha256 = createHash('sha256').update(raw).digest('hex')

  // The tool's own event id names the event, whatever else was resent.
  if (fields.eventId !== null) {
    return {
      dedupeKey: `event:${JSON.stringify([fields.source, fields.eventId])}`,
      bodySha256,
    }
  }
  if (idempotencyKey !== undefined) {
    return {
      dedupeKey: `idempotency-key:${DOOR_ID}:${idempotencyKey}`,
      bodySha256,
      requireSameBody: true,
    }
  }

  return { bodySha256 }
}

async function record(context: DoorContext, incoming: IncomingEvent) {
  try {
    return await context.activityLog.record(incoming)
  } catch (error) {
    if (error instanceof ActivityLogFullError) throw overloaded(error)
    if (!(error instanceof ReusedKeyError)) throw error

    throw new HttpProblem(
      422,
      'idempotency-key-reused',
      'Idempotency-Key reused with a different body',
      `This Idempotency-Key was first used for event ${error.existingId} ` +
        'with a different body. Use a new key for a new event, or resend ' +
        'the first body unchanged.',
      { existing_event_id: error.existingId },
    )
  }
}

function overloaded(error: ActivityLogFullError): HttpProblem {
  return new HttpProblem(
    503,
    'events-queue-full',
    'Too many events at once',
    `${error.limit} events are already waiting to be stored ` +
      '(EVENT_QUEUE_LIMIT), so this one was not taken. Nothing was stored; ' +
      'send it again after the Retry-After delay.',
    {},
    { 'retry-after': '1' },
  )
}

function unrecognisedWarning(fields: { eventType: string }): string {
  return (
    `event_type "${fields.eventType}" is not in the PressOS catalogue; ` +
    'the event was stored but runs no follow-up rules. GET /webhooks/ping ' +
    'lists the known types.'
  )
}
