/**
 * What became of one request to a door: answered or refused, and why. The
 * server reports every outcome to the listeners it was built with (the door
 * journal, the metrics).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { redactUrl, SECRET_HEADERS } from '../http/logging.js'
import { sentProblemOf } from '../http/problem.js'

/** One finished request to a door. */
export interface DoorOutcome {
  doorId: string
  method: string
  /** The URL as called, with secrets in its query masked. */
  url: string
  status: number
  /** `ok` when answered, else the refusal's problem type: `bad-signature`. */
  reason: string
  /** What the caller was told, for refusals. */
  detail: string | undefined
  clientAddress: string
  /** The request headers, secrets masked; for refusals only, else empty. */
  headers: Record<string, string>
  requestId: string
  /** From the request's arrival to the answer, in seconds. */
  durationSeconds: number
  finishedAt: Date
}

/** Hears of each finished door request; must not throw or block. */
export type OutcomeListener = (outcome: DoorOutcome) => void

// Headers that carry a secret, a signature or a session: never kept.
const SECRET_HEADER_NAMES = new Set(SECRET_HEADERS)

/** The outcome of `request` to the door `doorId`, once answered. */
export function outcomeOf(
  doorId: string,
  request: FastifyRequest,
  reply: FastifyReply,
): DoorOutcome {
  const problem = sentProblemOf(request)
  const failed = reply.statusCode >= 400

  return {
    doorId,
    method: request.method,
    url: redactUrl(request.url) ?? request.url,
    status: reply.statusCode,
    reason: failed ? (problem?.slug ?? `http-${reply.statusCode}`) : 'ok',
    detail: failed ? problem?.detail : undefined,
    clientAddress: request.ip,
    headers: failed ? maskedHeaders(request.headers) : {},
    requestId: request.id,
    durationSeconds: reply.elapsedTime / 1000,
    finishedAt: new Date(),
  }
}

/** `headers` with every secret-bearing value replaced by `[redacted]`. */
export function maskedHeaders(
  headers: FastifyRequest['headers'],
): Record<string, string> {
  const masked: Record<string, string> = {}

  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    masked[name] = SECRET_HEADER_NAMES.has(name)
      ? '[redacted]'
      : [value].flat().join(', ')
  }

  return masked
}
