/**
 * The service's structured JSON log. Secrets, signatures and keys are
 * censored wherever they appear in a logged object.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import pino, { type DestinationStream, type Logger } from 'pino'

/** Request and response headers that carry credentials or sessions. */
export const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-csrf-token',
  'x-webhook-secret',
  'x-twilio-signature',
  'x-signature',
  'x-printbrain-signature',
  'x-pressos-signature',
  'x-pressos-key',
  'x-hub-signature-256',
]

const SECRET_FIELDS = [
  'secret',
  'secrets',
  'webhookSecrets',
  'token',
  'password',
  'signature',
  'apiKey',
  'authToken',
  'ntfyToken',
  'privateKey',
  'private_key',
  'refreshToken',
  'clientSecret',
  'linkSecret',
]

const SECRET_KEYS = new Set(
  [...SECRET_HEADERS, ...SECRET_FIELDS].map((key) => key.toLowerCase()),
)

/** How deep into a logged object secrets are looked for. */
const CENSOR_DEPTH = 6

const CENSORED = '[redacted]'

/** Creates the service's logger, writing to `destination` (stdout if unset). */
export function createLogger(
  level: string,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      formatters: {
        log: (object) => censorSecrets(object, 0) as Record<string, unknown>,
      },
      serializers: { req: serializeRequest, err: serializeError },
    },
    destination,
  )
}

/**
 * `error` as pino writes it, less the parameters of any failed query in it
 * or its causes: they hold what requests sent and what the service stores
 * (bodies, keys, tokens), which no log may repeat. The SQL and the
 * database's own message stay.
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error)
  const leaks = queryParametersIn(error, 0)
  if (leaks.length === 0) return serialized

  const scrub = (text: string) =>
    leaks.reduce((clean, leak) => clean.split(leak).join(''), text)
  const { params, ...rest } = serialized as typeof serialized & {
    params?: unknown
  }
  // Only the outermost query's parameters are a field of their own.
  const counted = Array.isArray(params)
    ? { params: `${params.length} left out` }
    : {}

  return {
    ...rest,
    message: scrub(rest.message),
    stack: scrub(rest.stack),
    ...counted,
  }
}

// How a failed query writes its parameters into its message, for each one
// in the chain of causes.
function queryParametersIn(error: unknown, depth: number): string[] {
  if (!(error instanceof Error) || depth > CENSOR_DEPTH) return []

  const { params } = error as Error & { params?: unknown }
  const own = Array.isArray(params) ? [`\nparams: ${params.join(',')}`] : []

  return [...own, ...queryParametersIn(error.cause, depth + 1)]
}

/**
 * `value` with the value of every key named like a secret (a credential
 * header, a token, a password) replaced by `[redacted]`, at any depth up to
 * `CENSOR_DEPTH`. Objects without secrets are returned as they are, so that
 * an ordinary log line costs one walk over its few keys and no copy.
 */
export function censorSecrets(value: unknown, depth: number): unknown {
  if (depth > CENSOR_DEPTH || !isWalkable(value)) return value

  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    value.forEach((item, i) => {
      const censored = censorSecrets(item, depth + 1)
      if (censored === item) return
      copy ??= [...value]
      copy[i] = censored
    })

    return copy ?? value
  }

  let copy: Record<string, unknown> | undefined
  for (const [key, item] of Object.entries(value)) {
    const censored = SECRET_KEYS.has(key.toLowerCase())
      ? CENSORED
      : censorSecrets(item, depth + 1)
    if (censored === item) continue
    copy ??= copyOf(value)
    copy[key] = censored
  }

  return copy ?? value
}

function isWalkable(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false

  return !(value instanceof Date || ArrayBuffer.isView(value))
}

// An error keeps its message and stack, which are not own enumerable keys.
function copyOf(value: object): Record<string, unknown> {
  if (!(value instanceof Error)) return { ...value }

  return { ...value, message: value.message, stack: value.stack }
}

// Query parameters that make a link work on their own, like the signature
// of a file link; the log keeps their names, not their values.
const SECRET_QUERY =
  /^(signature|sig|token|key|x-amz-signature|x-amz-credential|x-amz-security-token)$/i

/** `url` with the values of secret query parameters censored. */
export function redactUrl(url: string | undefined): string | undefined {
  const queryStart = url?.indexOf('?') ?? -1
  if (url === undefined || queryStart === -1) return url

  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const name = decodeQueryName(pair.split('=')[0] ?? '')

      return SECRET_QUERY.test(name) ? `${pair.split('=')[0]}=[redacted]` : pair
    })

  return `${url.slice(0, queryStart)}?${query.join('&')}`
}

// Anyone can send a broken escape (`?%`, `?%ZZ`); its name stays as sent.
function decodeQueryName(name: string): string {
  try {
    return decodeURIComponent(name)
  } catch {
    return name
  }
}

function serializeRequest(request: IncomingMessage & { id?: string }) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    remoteAddress: request.socket?.remoteAddress,
    userAgent: request.headers['user-agent'],
  }
}

/** A request id: the caller's `X-Request-Id` when sane, else a new one. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  if (typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given)) return given

  return randomUUID()
}

/**
 * Logs one line per answered request, in place of Fastify's two (one on
 * arrival, one on answer): method, path, status and time taken in
 * milliseconds. A busy door logs half as much, and each line says it all.
 */
export class RequestLog extends LogController {
  override incomingRequest() {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    const path = redactUrl(request.url)
    const facts = {
      method: request.method,
      url: path,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      remoteAddress: request.ip,
    }
    const line = `${request.method} ${path} answered ${reply.statusCode}`
    if (error) reply.log.error({ ...facts, err: error }, line)
    else reply.log.info(facts, line)
  }
}
