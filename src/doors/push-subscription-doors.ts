/**
 * The doors the console uses to sign a browser up for push notifications:
 * `GET /api/push/vapid-public-key` gives the key the browser subscribes
 * with, `POST /api/push/subscriptions` keeps the subscription it made, and
 * `POST /api/push/subscriptions/remove` forgets it again.
 */
import { ECDH } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { WebPushSettings } from '../config/push-settings.js'
import { HttpProblem } from '../http/problem.js'
import { readJsonObject } from '../http/request-body.js'
import {
  removePushSubscription,
  savePushSubscription,
  type NewPushSubscription,
} from '../push/push-subscriptions.js'
import type { Door, DoorContext } from './door.js'
import { NETWORK_ONLY } from './door-security.js'

/** Longest endpoint kept, in characters; real ones are a few hundred. */
const MAX_ENDPOINT_CHARS = 2048

/** Longest label kept, in characters. */
const MAX_LABEL_CHARS = 100

/** Longest User-Agent kept, in characters; the rest is cut off. */
const MAX_USER_AGENT_CHARS = 300

/** Bytes of a browser's uncompressed P-256 public key. */
const P256DH_BYTES = 65

/** Bytes of a browser's auth secret. */
const AUTH_BYTES = 16

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/

// What `readSubscription` and `readEndpointToRemove` (below) accept, as
// schemas for the API description; they are the checks, for their wording.
// Change a check and its schema together.
const SUBSCRIPTION = z.object({
  endpoint: z
    .url({ protocol: /^https$/ })
    .max(MAX_ENDPOINT_CHARS)
    .describe('The https:// URL of the push service.'),
  keys: z.object({
    p256dh: z
      .string()
      .regex(BASE64URL)
      .describe(`A P-256 public key of ${P256DH_BYTES} bytes, base64url.`),
    auth: z
      .string()
      .regex(BASE64URL)
      .describe(`An auth secret of ${AUTH_BYTES} bytes, base64url.`),
  }),
  label: z
    .string()
    .nullish()
    .describe(`At most ${MAX_LABEL_CHARS} characters, like "Front desk iPad".`),
})

const REMOVAL = z.object({ endpoint: z.string().min(1) })

const NO_WEB_PUSH = {
  status: 503,
  when: 'Web Push is not set up: the VAPID keys are missing.',
}

/** `GET /api/push/vapid-public-key`. */
export const pushKeyDoor: Door = {
  id: 'api.push.vapid-key',
  section: 'service',
  path: '/api/push/vapid-public-key',
  methods: ['GET'],
  security: NETWORK_ONLY,
  purpose:
    "Gives the shop's public VAPID key, which a browser needs to subscribe " +
    'to push notifications.',
  refusals: [NO_WEB_PUSH],
  handler: (context) => async () => ({
    publicKey: requireWebPush(context).publicKey,
  }),
}

/** `POST /api/push/subscriptions`. */
export const pushSubscriptionDoor: Door = {
  id: 'api.push.subscriptions.create',
  section: 'service',
  path: '/api/push/subscriptions',
  methods: ['POST'],
  accepts: ['application/json'],
  security: NETWORK_ONLY,
  purpose:
    "Keeps a browser's push subscription (PushSubscription.toJSON()), so " +
    'that it gets the push notifications of the follow-up rules.',
  requestBody: { schema: SUBSCRIPTION },
  success: {
    status: 201,
    mediaType: 'application/json',
    description: 'The id the subscription is kept under.',
  },
  refusals: [NO_WEB_PUSH],
  handler: (context) => async (request, reply) => {
    requireWebPush(context)

    const subscription = readSubscription(readJsonObject(request), request)
    const id = await savePushSubscription(context.database.orm, subscription)
    request.log.info(
      { subscriptionId: id, host: new URL(subscription.endpoint).host },
      'a browser subscribed to push notifications',
    )

    return reply.code(201).send({ id })
  },
}

/** `POST /api/push/subscriptions/remove`. */
export const pushUnsubscribeDoor: Door = {
  id: 'api.push.subscriptions.remove',
  section: 'service',
  path: '/api/push/subscriptions/remove',
  methods: ['POST'],
  accepts: ['application/json'],
  security: NETWORK_ONLY,
  purpose:
    "Forgets a browser's push subscription, by its endpoint, so that it " +
    'gets no more push notifications.',
  requestBody: { schema: REMOVAL },
  handler: (context) => async (request) => {
    const endpoint = readEndpointToRemove(readJsonObject(request))
    const removed = await removePushSubscription(context.database.orm, endpoint)
    request.log.info({ removed }, 'a browser unsubscribed from push')

    return { removed }
  },
}

/** The VAPID settings, or a 503 saying how to set them. */
export function requireWebPush(context: DoorContext): WebPushSettings {
  const settings = context.config.push.webPush
  if (settings) return settings

  throw new HttpProblem(
    503,
    'web-push-not-configured',
    'Web Push is not set up',
    'Browsers cannot subscribe to push notifications until the service ' +
      'has VAPID keys: set VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY (a pair ' +
      'from "npx web-push generate-vapid-keys") and VAPID_SUBJECT (like ' +
      '"mailto:owner@yourshop.com"), then restart the service.',
  )
}

/** One field of a refused subscription and what is wrong with it. */
interface FieldError {
  field: string
  problem: string
}

/**
 * Checks `body` as a browser's `PushSubscription.toJSON()` with an
 * optional `label`.
 *
 * @throws HttpProblem 422 `invalid-push-subscription` with an `errors`
 *   list of `{ field, problem }`.
 */
export function readSubscription(
  body: Record<string, unknown>,
  request: FastifyRequest,
): NewPushSubscription {
  const errors: FieldError[] = []
  const { endpoint, keys, label } = body
  const subscription = {
    endpoint: checkEndpoint(endpoint, errors),
    ...checkKeys(keys, errors),
    label: checkLabel(label, errors),
    userAgent: userAgentOf(request),
  }
  if (errors.length > 0) throw invalidSubscription(errors)

  return subscription
}

function checkEndpoint(value: unknown, errors: FieldError[]): string {
  const problem = endpointProblem(value)
  if (problem !== undefined) errors.push({ field: 'endpoint', problem })

  return String(value)
}

// The endpoint is a capability: problems name its scheme, never the rest.
function endpointProblem(value: unknown): string | undefined {
  if (value === undefined || value === '') {
    return 'is missing; send the https:// URL PushSubscription gives'
  }
  if (typeof value !== 'string') {
    return `must be the https:// URL of a push service, got ${describeJson(value)}`
  }
  if (value.length > MAX_ENDPOINT_CHARS) {
    return `must be at most ${MAX_ENDPOINT_CHARS} characters, got ${value.length}`
  }

  const scheme = URL.canParse(value) ? new URL(value).protocol : undefined
  if (scheme !== 'https:') {
    return (
      'must be the https:// URL of a push service, got ' +
      (scheme ? `a ${scheme} URL` : 'text that is not a URL')
    )
  }

  return undefined
}

function checkKeys(value: unknown, errors: FieldError[]) {
  if (!isObject(value)) {
    errors.push({
      field: 'keys',
      problem:
        'must be the object { p256dh, auth } PushSubscription.toJSON() ' +
        `gives, got ${describeJson(value)}`,
    })

    return { p256dh: '', auth: '' }
  }

  return {
    p256dh: checkKey('keys.p256dh', value.p256dh, P256DH_BYTES, errors),
    auth: checkKey('keys.auth', value.auth, AUTH_BYTES, errors),
  }
}

function checkKey(
  field: string,
  value: unknown,
  bytes: number,
  errors: FieldError[],
): string {
  const problem = keyProblem(field, value, bytes)
  if (problem !== undefined) errors.push({ field, problem })

  return String(value)
}

function keyProblem(
  field: string,
  value: unknown,
  bytes: number,
): string | undefined {
  // The auth secret is a secret: problems describe a key, never show it.
  if (typeof value !== 'string' || !BASE64URL.test(value)) {
    return (
      'must be base64url text as PushSubscription.toJSON() gives it, got ' +
      (typeof value === 'string' ? 'other text' : describeJson(value))
    )
  }

  const decoded = Buffer.from(value, 'base64url')
  if (decoded.length !== bytes) {
    return `must decode to ${bytes} bytes, got ${decoded.length}`
  }
  if (field === 'keys.p256dh' && !isP256Point(decoded)) {
    return 'must be a point on the P-256 curve; send the key unchanged'
  }

  return undefined
}

function isP256Point(key: Buffer): boolean {
  try {
    ECDH.convertKey(key, 'prime256v1')

    return true
  } catch {
    return false
  }
}

// Left out keeps the label a browser subscribing again had; null clears it.
function checkLabel(
  value: unknown,
  errors: FieldError[],
): string | null | undefined {
  if (value === undefined || value === null) return value
  if (typeof value !== 'string' || value.trim().length > MAX_LABEL_CHARS) {
    errors.push({
      field: 'label',
      problem:
        `must be text of at most ${MAX_LABEL_CHARS} characters, like ` +
        '"Front desk iPad", or left out',
    })

    return null
  }

  return value.trim() || null
}

function userAgentOf(request: FastifyRequest): string | null {
  const agent = request.headers['user-agent']

  return agent ? agent.slice(0, MAX_USER_AGENT_CHARS) : null
}

export function readEndpointToRemove(body: Record<string, unknown>): string {
  const endpoint = body.endpoint
  if (typeof endpoint === 'string' && endpoint !== '') return endpoint

  throw invalidSubscription([
    {
      field: 'endpoint',
      problem:
        'is missing; send the endpoint of the subscription to forget, ' +
        'as PushSubscription gives it',
    },
  ])
}

function invalidSubscription(errors: FieldError[]): HttpProblem {
  const detail = errors
    .map((error) => `${error.field}: ${error.problem}`)
    .join('; ')

  return new HttpProblem(
    422,
    'invalid-push-subscription',
    'Invalid push subscription',
    detail,
    { errors },
  )
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'

  return `a ${typeof value}`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
