/**
 * Push notifications to the shop's phones through an ntfy server (ntfy.sh
 * or one the shop runs). Without PUSH_NTFY_URL the notifier only logs what
 * it would have sent, so a fresh install works without an ntfy account.
 */

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

/** Sends push notifications. */
export interface Notifier {
  /** `ntfy` when PUSH_NTFY_URL is set, `log` when it is not. */
  readonly driver: 'ntfy' | 'log'
  /** Resolves once the server took the message. */
  send(message: PushMessage): Promise<void>
}

/**
 * Raised when the ntfy server did not take a message. The message names the
 * host and, for an answer, its status and first words; never the token.
 */
export class PushDeliveryError extends Error {
  override name = 'PushDeliveryError'
}

/** Options of `createNotifier`. */
export interface NotifierOptions {
  /** ntfy topic URL, like `https://ntfy.sh/acme-print-floor`. */
  url?: string
  /** Access token of the ntfy server, sent as a Bearer token. */
  token?: string
  logger: { info(obj: object, msg: string): void }
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

/** The ntfy notifier when `url` is set, else the log notifier. */
export function createNotifier(options: NotifierOptions): Notifier {
  if (!options.url) return createLogNotifier(options.logger)

  return createNtfyNotifier(options.url, options.token)
}

function createLogNotifier(logger: NotifierOptions['logger']): Notifier {
  return {
    driver: 'log',
    async send({ title, priority, tags }) {
      logger.info(
        { push: { title, priority, tags } },
        'push notification (log driver, PUSH_NTFY_URL unset)',
      )
    },
  }
}

function createNtfyNotifier(url: string, token: string | undefined): Notifier {
  const host = hostOf(url)

  return {
    driver: 'ntfy',
    async send(message) {
      const headers = ntfyHeaders(message, token)
      const response = await post(url, host, headers, message)
      if (response.ok) return

      const answer = await readExcerpt(response, token)
      throw new PushDeliveryError(
        `the ntfy server at ${host} refused a push notification with ` +
          `${statusLine(response)}: ${answer}`,
      )
    },
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
