/**
 * Push notifications to the shop's people. One notifier sends each message
 * to every channel that is set up: an ntfy server (ntfy.sh or one the shop
 * runs) when PUSH_NTFY_URL is set, and the browsers that subscribed in the
 * console when the VAPID keys are set. With neither, it only logs what it
 * would have sent, so a fresh install works without any account.
 */
import type { WebPushSettings } from '../config/push-settings.js'
import type { Orm } from '../storage/database.js'
import {
  createWebPushDriver,
  type WebPushDriver,
  type WebPushReport,
} from './web-push-driver.js'

/** How loudly a notification asks for attention. */
export type PushPriority = 'low' | 'normal' | 'high' | 'urgent'

/** One notification, as the phone shows it. */
export interface PushMessage {
  title: string
  /** The text under the title. */
  message: string
  priority: PushPriority
  /** ntfy tags; names of emoji like `warning` show as the emoji. */
  tags: string[]
  /** Address the phone opens when the notification is tapped. */
  click?: string
}

/** The channels a notifier sends to, joined by `+`; `log` for none. */
export type NotifierDriver = 'ntfy' | 'web-push' | 'ntfy+web-push' | 'log'

/** How sending one notification went, channel by channel. */
export interface DeliveryReport {
  /** `sent`, or why the ntfy server did not take it. */
  ntfy?: 'sent' | (string & {})
  /** What each browser's push service did, or why none could be tried. */
  webPush?: WebPushReport | string
  /** Present when no channel is set up and the message was only logged. */
  log?: true
}

/** Sends push notifications. */
export interface Notifier {
  /** The channels, like `ntfy+web-push`; stored with each notification. */
  readonly driver: NotifierDriver
  /**
   * Resolves once a channel took the message, or when there was nobody to
   * send it to (no ntfy and no subscribed browser).
   *
   * @throws PushDeliveryError when no channel took it and one failed, so
   *   that the caller can try again later.
   */
  send(message: PushMessage): Promise<void>
  /** Sends `message` and says how each channel did; never throws for one. */
  sendReport(message: PushMessage): Promise<DeliveryReport>
}

/**
 * Raised when no channel took a message. The message names each failing
 * channel's host and, for an answer, its status and first words; never the
 * ntfy token or a browser's endpoint.
 */
export class PushDeliveryError extends Error {
  override name = 'PushDeliveryError'
}

/** Where the notifier logs; `warn` falls back to `info` when absent. */
export interface PushLogger {
  info(obj: object, msg: string): void
  warn?(obj: object, msg: string): void
}

/** Options of `createNotifier`. */
export interface NotifierOptions {
  /** ntfy topic URL, like `https://ntfy.sh/acme-print-floor`. */
  url?: string | undefined
  /** Access token of the ntfy server, sent as a Bearer token. */
  token?: string | undefined
  /** The shop's VAPID identity; Web Push needs it and `orm`. */
  webPush?: WebPushSettings | undefined
  /** The database that keeps the browsers' subscriptions. */
  orm?: Orm | undefined
  logger: PushLogger
}

/** How long the ntfy server may take to answer, in milliseconds. */
const SEND_TIMEOUT_MS = 10_000

/** How much of an error answer goes into the error message, in characters. */
const ANSWER_EXCERPT_CHARS = 200

/** The words ntfy uses for the shop's priorities. */
const NTFY_PRIORITIES: Record<PushPriority, string> = {
  low: 'low',
  normal: 'default',
  high: 'high',
  urgent: 'urgent',
}

/**
 * A notifier that sends to ntfy when `url` is set and to the subscribed
 * browsers when `webPush` and `orm` are given; else one that only logs.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const logger = withWarnings(options.logger)
  const channels = openChannels(options, logger)
  if (!channels.ntfy && !channels.webPush) return createLogNotifier(logger)

  const sendReport = (message: PushMessage) => sendToChannels(channels, message)

  return {
    driver: driverOf(channels),
    sendReport,
    async send(message) {
      const report = await sendReport(message)
      requireDelivery(report, logger, message)
    },
  }
}

/** The senders of the configured channels. */
interface Channels {
  ntfy?: (message: PushMessage) => Promise<void>
  webPush?: WebPushDriver
}

function openChannels(
  { url, token, webPush, orm }: NotifierOptions,
  logger: Required<PushLogger>,
): Channels {
  return {
    ...(url ? { ntfy: createNtfySender(url, token) } : {}),
    ...(webPush && orm
      ? { webPush: createWebPushDriver(webPush, orm, logger) }
      : {}),
  }
}

function driverOf({ ntfy, webPush }: Channels): NotifierDriver {
  if (ntfy && webPush) return 'ntfy+web-push'

  return ntfy ? 'ntfy' : 'web-push'
}

/** `logger`, with warnings logged as info when it has no `warn`. */
function withWarnings(logger: PushLogger): Required<PushLogger> {
  const warn = logger.warn ?? logger.info

  return {
    info: (obj, msg) => logger.info(obj, msg),
    warn: (obj, msg) => warn.call(logger, obj, msg),
  }
}

async function sendToChannels(
  channels: Channels,
  message: PushMessage,
): Promise<DeliveryReport> {
  const [ntfy, webPush] = await Promise.all([
    channels.ntfy && outcomeOf(channels.ntfy(message), () => 'sent' as const),
    channels.webPush &&
      outcomeOf(channels.webPush.send(message), (report) => report),
  ])

  return {
    ...(ntfy !== undefined ? { ntfy } : {}),
    ...(webPush !== undefined ? { webPush } : {}),
  }
}

/** What `sending` resolved to, or the message of its error. */
async function outcomeOf<T, R>(
  sending: Promise<T>,
  describe: (value: T) => R,
): Promise<R | string> {
  try {
    return describe(await sending)
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/**
 * Returns when a channel delivered or none failed; throws when none
 * delivered and one failed. Failures beside a delivery are only logged.
 */
function requireDelivery(
  report: DeliveryReport,
  logger: Required<PushLogger>,
  message: PushMessage,
): void {
  const failures = failuresOf(report)
  if (failures.length === 0) return

  if (!wasDelivered(report)) {
    throw new PushDeliveryError(failures.join('; '))
  }
  logger.warn(
    { push: { title: message.title }, failures },
    'a push notification went out, but not on every channel',
  )
}

function wasDelivered({ ntfy, webPush }: DeliveryReport): boolean {
  return ntfy === 'sent' || (typeof webPush === 'object' && webPush.sent > 0)
}

/** One sentence for each channel that failed. */
function failuresOf({ ntfy, webPush }: DeliveryReport): string[] {
  const failures: string[] = []
  if (ntfy !== undefined && ntfy !== 'sent') failures.push(ntfy)
  if (typeof webPush === 'string') {
    failures.push(`Web Push could not run: ${webPush}`)
  } else if (webPush && webPush.sent === 0 && webPush.failed.length > 0) {
    failures.push(describeWebPushFailures(webPush))
  }

  return failures
}

function describeWebPushFailures(report: WebPushReport): string {
  const reasons = report.failed.map((failure) => failure.message).join(', ')

  return (
    `no browser's push service took the notification ` +
    `(${report.failed.length} refused: ${reasons})`
  )
}

function createLogNotifier(logger: PushLogger): Notifier {
  const sendReport = async ({ title, priority, tags }: PushMessage) => {
    logger.info(
      { push: { title, priority, tags } },
      'push notification (log driver, PUSH_NTFY_URL unset)',
    )

    return { log: true } as const
  }

  return {
    driver: 'log',
    sendReport,
    async send(message) {
      await sendReport(message)
    },
  }
}

function createNtfySender(url: string, token: string | undefined) {
  const host = hostOf(url)

  return async (message: PushMessage): Promise<void> => {
    const headers = ntfyHeaders(message, token)
    const response = await post(url, host, headers, message)
    if (response.ok) return

    const answer = await readExcerpt(response, token)
    throw new PushDeliveryError(
      `the ntfy server at ${host} refused a push notification with ` +
        `${statusLine(response)}: ${answer}`,
    )
  }
}

async function post(
  url: string,
  host: string,
  headers: Record<string, string>,
  message: PushMessage,
): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      headers,
      body: message.message,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    })
  } catch (error) {
    throw new PushDeliveryError(
      `could not reach the ntfy server at ${host} ` +
        `(${describeFailure(error)}); check PUSH_NTFY_URL and that the ` +
        'server is up',
      { cause: error },
    )
  }
}

/** The ntfy headers of `message`, each safe to put on the wire. */
function ntfyHeaders(
  message: PushMessage,
  token: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    Title: headerValue(message.title),
    Priority: NTFY_PRIORITIES[message.priority],
  }
  if (message.tags.length > 0) {
    headers.Tags = headerValue(message.tags.join(','))
  }
  if (message.click) headers.Click = headerValue(message.click)
  if (token) headers.Authorization = `Bearer ${token}`

  return headers
}

/**
 * `text` on one line, and RFC 2047 encoded (`=?UTF-8?B?...?=`) when it is
 * not plain ASCII: HTTP headers carry ASCII only, and ntfy decodes the
 * encoded form back.
 */
function headerValue(text: string): string {
  const line = text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
  if (/^[\x20-\x7e]*$/.test(line)) return line

  return splitForEncoding(line)
    .map((part) => `=?UTF-8?B?${Buffer.from(part).toString('base64')}?=`)
    .join(' ')
}

// RFC 2047 allows 75 characters an encoded word: 45 bytes make 60 in base64,
// and the frame adds 12. Splitting between characters keeps each word whole.
const ENCODED_WORD_BYTES = 45

function splitForEncoding(text: string): string[] {
  const parts: string[] = []
  let part = ''
  for (const character of text) {
    if (Buffer.byteLength(part + character) > ENCODED_WORD_BYTES) {
      parts.push(part)
      part = ''
    }
    part += character
  }
  parts.push(part)

  return parts
}

async function readExcerpt(
  response: Response,
  token: string | undefined,
): Promise<string> {
  const body = await response.text().catch(() => '')
  const excerpt = body.trim().slice(0, ANSWER_EXCERPT_CHARS) || '(no answer)'

  return token ? excerpt.replaceAll(token, '[token]') : excerpt
}

function statusLine(response: Response): string {
  return `${response.status} ${response.statusText}`.trim()
}

function describeFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${SEND_TIMEOUT_MS / 1000} s`
  }

  const cause = error instanceof Error ? error.cause : undefined
  const code = (cause as NodeJS.ErrnoException | undefined)?.code

  return code ?? (error instanceof Error ? error.message : String(error))
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    throw new Error(
      `PUSH_NTFY_URL must be a URL like https://ntfy.sh/acme-print-floor, ` +
        `got "${url}"`,
    )
  }
}
