/**
 * The service's structured JSON log. Secrets, signatures and keys are
 * censored wherever they appear in a logged object.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import {
  LogController,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import pino, { type DestinationStream, type Logger } from 'pino'

/** Request headers that carry credentials. */
export const SECRET_HEADERS = [
  'authorization',
  'cookie',
  'set-cookie',
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

const REDACT_PATHS = [
  ...SECRET_HEADERS.flatMap((name) => [
    `req.headers["${name}"]`,
    `headers["${name}"]`,
    `*.headers["${name}"]`,
  ]),
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
]

/** Creates the service's logger, writing to `destination` (stdout if unset). */
export function createLogger(
  level: string,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
    },
    destination,
  )
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
