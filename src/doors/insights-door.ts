/**
 * `POST /api/inbox/insights`: approved insights from other systems land in
 * the shop's inbox.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { requireBodySignature } from '../guards/body-signature.js'
import {
  answerIdempotently,
  requireIdempotencyKey,
} from '../http/idempotent-requests.js'
import { readJsonObject } from '../http/request-body.js'
import { addInboxItem } from '../shop/inbox.js'
import { INSIGHT, inboxItemFor, readInsight } from '../shop/insights.js'
import type { Door, DoorContext } from './door.js'

const DOOR_ID = 'api.inbox.insights'

const SIGNATURE_HEADERS = ['X-PrintBrain-Signature', 'X-Signature']

/** The insights door. */
export const insightsDoor: Door = {
  id: DOOR_ID,
  section: 'integrations',
  path: '/api/inbox/insights',
  methods: ['POST'],
  accepts: ['application/json'],
  security: {
    scheme: 'hmac-signature',
    summary:
      'If webhook signing is turned on, the sender must include a ' +
      'cryptographic signature. Every request also needs a one-time id key ' +
      "so the same payload isn't processed twice.",
    technical:
      'If PRINTBRAIN_WEBHOOK_SECRET is set: X-PrintBrain-Signature or ' +
      'X-Signature (sha256= and the hex HMAC-SHA256 of the raw body). ' +
      'Idempotency-Key required.',
    signatureHeaders: SIGNATURE_HEADERS,
  },
  purpose:
    'Approved insights from other systems land in the inbox (and ' +
    'optionally link to a graph node).',
  requestBody: { schema: INSIGHT },
  idempotencyKey: 'required',
  success: {
    status: 201,
    mediaType: 'application/json',
    description: 'The inbox item the insight became.',
  },
  handler: (context) => (request, reply) =>
    receiveInsight(context, request, reply),
}

async function receiveInsight(
  context: DoorContext,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  requireBodySignature(request, {
    secrets: context.config.insightSecrets,
    headers: SIGNATURE_HEADERS,
    variable: 'PRINTBRAIN_WEBHOOK_SECRET',
  })
  requireIdempotencyKey(request)

  const insight = readInsight(readJsonObject(request))
  const policy = { door: DOOR_ID, ttlHours: context.config.idempotencyTtlHours }

  return answerIdempotently(
    request,
    reply,
    context.database.orm,
    policy,
    async (tx) => {
      const item = await addInboxItem(tx, inboxItemFor(insight))
      request.log.info(
        { inboxItemId: item.id, source: insight.source },
        'insight added to the inbox',
      )

      return { status: 201, body: { item } }
    },
  )
}
