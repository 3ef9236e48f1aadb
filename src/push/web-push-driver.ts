/**
 * Push notifications to the browsers that subscribed in the console, over
 * Web Push: each notification is encrypted for one browser and handed to
 * that browser's push service, signed with the shop's VAPID key.
 *
 * An endpoint is a capability (anyone who has it can send to the browser),
 * so logs and reports name only its host and the subscription's id.
 */
import webpush, { type RequestOptions, type Urgency } from 'web-push'
import type { WebPushSettings } from '../config/push-settings.js'
import type { Orm } from '../storage/database.js'
import type { PushLogger, PushMessage, PushPriority } from './notifier.js'
import {
  listPushSubscriptions,
  markDelivered,
  removePushSubscription,
  type StoredPushSubscription,
} from './push-subscriptions.js'

/** One subscription the push service did not take a notification for. */
export interface WebPushFailure {
  subscriptionId: number
  /** Host of the endpoint, like `fcm.googleapis.com`; never the path. */
  host: string
  /** The push service's HTTP status; null when it gave no answer. */
  status: number | null
  message: string
}

/** What sending one notification to every subscription did. */
export interface WebPushReport {
  /** Subscriptions whose push service took the notification. */
  sent: number
  /** Subscriptions removed because their push service said they are gone. */
  removed: number
  failed: WebPushFailure[]
}

/** Sends push notifications to every stored subscription. */
export interface WebPushDriver {
  send(message: PushMessage): Promise<WebPushReport>
}

/** How long a push service keeps an undelivered notification, in seconds. */
export const WEB_PUSH_TTL_SECONDS = 24 * 60 * 60

/** How long a push service may leave the connection silent, in ms. */
const SEND_TIMEOUT_MS = 10_000

// Push services take bodies of 4096 bytes at most. The aes128gcm header
// takes 86 of them, and the padding delimiter and tag of the one record 17.
const MAX_PAYLOAD_BYTES = 4096 - 86 - 17

/** How much of a push service's answer goes into a failure, in characters. */
const ANSWER_EXCERPT_CHARS = 200

/** The Web Push urgency of each of the shop's priorities. */
const URGENCIES: Record<PushPriority, Urgency> = {
  low: 'low',
  normal: 'normal',
  high: 'high',
  urgent: 'high',
}

/** Statuses by which a push service says a subscription no longer exists. */
const GONE_STATUSES = new Set([404, 410])

type Outcome = 'sent' | 'removed' | WebPushFailure

/** What sending to one subscription needs besides the subscription. */
interface Delivery {
  payload: string
  options: RequestOptions
  orm: Orm
  logger: Required<PushLogger>
}

/** The Web Push driver of the shop's VAPID identity `settings`. */
export function createWebPushDriver(
  settings: WebPushSettings,
  orm: Orm,
  logger: Required<PushLogger>,
): WebPushDriver {
  const options: RequestOptions = {
    vapidDetails: settings,
    TTL: WEB_PUSH_TTL_SECONDS,
    timeout: SEND_TIMEOUT_MS,
  }

  return {
    async send(message) {
      const subscriptions = await listPushSubscriptions(orm)
      const delivery: Delivery = {
        payload: webPushPayload(message),
        options: { ...options, urgency: URGENCIES[message.priority] },
        orm,
        logger,
      }
      const outcomes = await Promise.all(
        subscriptions.map((subscription) => sendOne(subscription, delivery)),
      )

      return summarise(outcomes)
    },
  }
}

/**
 * The JSON the service worker gets: `{ title, body, priority, tags, click }`,
 * the body shortened when the whole would not fit in one push message.
 */
export function webPushPayload(message: PushMessage): string {
  const whole = payloadOf(message, message.message)
  if (fits(whole)) return whole

  // The longest start of the body that fits, found by halving: characters
  // take one to six bytes once in JSON, so no count can be worked out.
  const characters = Array.from(message.message)
  let low = 0
  let high = characters.length - 1
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (fits(payloadOf(message, shortened(characters, middle)))) low = middle
    else high = middle - 1
  }

  return payloadOf(message, shortened(characters, low))
}

function payloadOf(message: PushMessage, body: string): string {
  const { title, priority, tags, click } = message

  return JSON.stringify({ title, body, priority, tags, click })
}

function fits(payload: string): boolean {
  return Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES
}

function shortened(characters: string[], kept: number): string {
  return characters.slice(0, kept).join('') + '…'
}

async function sendOne(
  subscription: StoredPushSubscription,
  delivery: Delivery,
): Promise<Outcome> {
  const { id, endpoint, p256dh, auth } = subscription
  const target = { endpoint, keys: { p256dh, auth } }
  try {
    await webpush.sendNotification(target, delivery.payload, delivery.options)
  } catch (error) {
    return handleRefusal(subscription, error, delivery)
  }

  await markDelivered(delivery.orm, id).catch((error: unknown) =>
    delivery.logger.warn(
      { subscriptionId: id, reason: describeDatabaseError(error) },
      'a push notification went out, but its delivery was not noted',
    ),
  )

  return 'sent'
}

async function handleRefusal(
  subscription: StoredPushSubscription,
  error: unknown,
  delivery: Delivery,
): Promise<Outcome> {
  const status = error instanceof webpush.WebPushError ? error.statusCode : null
  if (status !== null && GONE_STATUSES.has(status)) {
    return removeGone(subscription, status, delivery)
  }

  const subscriptionId = subscription.id
  const host = hostOf(subscription.endpoint)
  const message = describeRefusal(error, subscription.endpoint, host)
  delivery.logger.warn(
    { subscriptionId, host, status },
    `a push service refused a notification: ${message}`,
  )

  return { subscriptionId, host, status, message }
}

async function removeGone(
  subscription: StoredPushSubscription,
  status: number,
  { orm, logger }: Delivery,
): Promise<Outcome> {
  const subscriptionId = subscription.id
  const host = hostOf(subscription.endpoint)
  try {
    await removePushSubscription(orm, subscription.endpoint)
  } catch (error) {
    const message =
      `${host} answered ${status}, so the subscription is gone, but ` +
      `removing it failed (${describeDatabaseError(error)}); the next ` +
      'notification tries again'
    logger.warn({ subscriptionId, host, status }, message)

    return { subscriptionId, host, status, message }
  }

  logger.info(
    { subscriptionId, host, status },
    'removed a push subscription its push service says is gone',
  )

  return 'removed'
}

/** What went wrong, in words that never hold the endpoint's path. */
function describeRefusal(
  error: unknown,
  endpoint: string,
  host: string,
): string {
  const text =
    error instanceof webpush.WebPushError
      ? `${host} answered ${error.statusCode}: ${excerpt(error.body)}`
      : `could not send to ${host}: ${(error as Error).message ?? error}`

  return text.replaceAll(endpoint, host)
}

// Drizzle puts a failed query's parameters, the endpoint among them, into
// its error message; the cause from the database leaves them out.
function describeDatabaseError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined
  const code = (cause as { code?: string } | undefined)?.code

  return cause instanceof Error
    ? `${cause.message}${code ? ` (${code})` : ''}`
    : 'a database error'
}

function excerpt(body: string | undefined): string {
  const text = (body ?? '').trim().slice(0, ANSWER_EXCERPT_CHARS)

  return text || '(no answer)'
}

function summarise(outcomes: Outcome[]): WebPushReport {
  const failed = outcomes.filter(
    (outcome): outcome is WebPushFailure => typeof outcome === 'object',
  )

  return {
    sent: outcomes.filter((outcome) => outcome === 'sent').length,
    removed: outcomes.filter((outcome) => outcome === 'removed').length,
    failed,
  }
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host
  } catch {
    return '(an endpoint that is not a URL)'
  }
}
