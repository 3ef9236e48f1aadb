/**
 * Refusals as RFC 9457 problem details. Every door throws `HttpProblem`; one
 * error handler turns it, and Fastify's own client errors, into an
 * `application/problem+json` response. Anything else is a fault of ours: it
 * is logged with its stack and answered with a plain 500.
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import {
  isDatabaseOutage,
  OUTAGE_RETRY_AFTER_SECONDS,
} from '../storage/database-outage.js'

/** Base of the `type` URIs; each kind of problem has its own fragment. */
export const PROBLEM_TYPE_BASE = 'https://pressos.dev/problems/'

/** The body of a problem+json response. */
export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  [extension: string]: unknown
}

/** A refusal with a status, a short title and a detail the caller can act on. */
export class HttpProblem extends Error {
  override name = 'HttpProblem'

  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
  }
}

// Fastify's own client errors, by code: status, slug and title.
const FASTIFY_CLIENT_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'unsupported-media-type',
    'Unsupported content type',
  ],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body-too-large', 'Request body too large'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed-json', 'Malformed JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed-json', 'Malformed JSON'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    'bad-content-length',
    'Content-Length does not match the body',
  ],
  FST_ERR_CTP_EMPTY_TYPE: [
    415,
    'unsupported-media-type',
    'Unsupported content type',
  ],
  FST_ERR_CTP_INVALID_TYPE: [
    415,
    'unsupported-media-type',
    'Unsupported content type',
  ],
  FST_ERR_BAD_URL: [400, 'bad-url', 'Malformed URL'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri-too-long', 'Path segment too long'],
}

/** The problem+json body of `problem` as an answer to `request`. */
export function problemBody(
  request: FastifyRequest,
  problem: HttpProblem,
): ProblemBody {
  return {
    type: PROBLEM_TYPE_BASE + problem.slug,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: request.url,
    request_id: request.id,
    ...problem.extensions,
  }
}

// The refusal each answered request was given, for those who watch doors.
const sentProblems = new WeakMap<FastifyRequest, HttpProblem>()

/** The problem `request` was answered with, if it was refused. */
export function sentProblemOf(
  request: FastifyRequest,
): HttpProblem | undefined {
  return sentProblems.get(request)
}

/** Sends `problem` as `application/problem+json`. */
export function sendProblem(reply: FastifyReply, problem: HttpProblem) {
  const body = problemBody(reply.request, problem)
  sentProblems.set(reply.request, problem)

  return reply
    .code(problem.status)
    .headers(problem.headers)
    .type('application/problem+json')
    .send(body)
}

/** Installs the error and not-found handlers on `app`. */
export function installProblemHandlers(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error)
    if (problem) {
      request.log.info(
        { status: problem.status, problem: problem.slug },
        `refused: ${problem.detail}`,
      )

      return sendProblem(reply, problem)
    }

    if (isDatabaseOutage(error)) {
      // An outage fails every request alike: one line each, no stack.
      request.log.warn(
        { reason: error.message },
        'database unreachable; answered 503 and stored nothing',
      )

      return sendProblem(reply, databaseOutageProblem())
    }

    request.log.error({ err: error }, 'request failed on our side')

    return sendProblem(
      reply,
      new HttpProblem(
        500,
        'internal-error',
        'Internal server error',
        'The request could not be completed because of a fault on the ' +
          'server. Nothing was acknowledged; it is safe to send it again. ' +
          `Quote request id ${request.id} when reporting it.`,
      ),
    )
  })

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new HttpProblem(
        404,
        'not-found',
        'No such door',
        `Nothing answers ${request.method} ${request.url.split('?')[0]}. ` +
          'GET /webhooks/ping lists the address of the events door.',
      ),
    ),
  )
}

/** The answer to a request that failed because the database is out of reach. */
function databaseOutageProblem(): HttpProblem {
  return new HttpProblem(
    503,
    'database-unavailable',
    'Database unavailable',
    'The database could not be reached, so nothing was stored. Send the ' +
      `same request again after ${OUTAGE_RETRY_AFTER_SECONDS} seconds; ` +
      'GET /readyz says when the service is ready again.',
    {},
    { 'retry-after': String(OUTAGE_RETRY_AFTER_SECONDS) },
  )
}

function toProblem(error: FastifyError): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error

  const known = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined
  if (known) {
    const [status, slug, title] = known

    return new HttpProblem(status, slug, title, describeClientError(error))
  }

  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return new HttpProblem(status, 'bad-request', 'Bad request', error.message)
  }

  return undefined
}

function describeClientError(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return (
        'The request body is larger than this server accepts ' +
        '(MAX_BODY_BYTES). Send a smaller body.'
      )
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return (
        'This door takes a different content type; send the body as ' +
        'the door documents it (application/json for JSON doors).'
      )
    case 'FST_ERR_BAD_URL':
      return (
        'The path holds a broken percent escape (like "%ZZ", or bytes ' +
        'that are not UTF-8). Percent-encode the path as UTF-8 and send ' +
        'it again.'
      )
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return (
        'A segment of the path is longer than this server reads (100 ' +
        'characters); ids are short. Check the address and send it again.'
      )
    default:
      return error.message
  }
}

/**
 * Answers a request that Node's HTTP parser could not read (broken framing,
 * headers too large, a timeout) with a problem+json refusal, as Fastify's
 * `clientErrorHandler`, and closes the connection. No route saw it, so it
 * has no request id.
 */
export function answerUnreadableRequest(
  error: Error & { code?: string },
  socket: Socket,
) {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    return
  }

  const [status, slug, title, detail] = unreadableProblem(error.code)
  const body = JSON.stringify({
    type: PROBLEM_TYPE_BASE + slug,
    title,
    status,
    detail,
  })
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  )
}

function unreadableProblem(
  code: string | undefined,
): [number, string, string, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [
      408,
      'request-timeout',
      'Request timeout',
      'The request did not arrive in time. Send it again in one go.',
    ]
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [
      431,
      'headers-too-large',
      'Request headers too large',
      'The request headers are larger than this server reads. Send fewer ' +
        'or shorter headers.',
    ]
  }

  return [
    400,
    'malformed-http',
    'Malformed HTTP request',
    `The request could not be read as HTTP/1.1 (${code ?? 'parse error'}). ` +
      'Check the request line, the headers and the body framing ' +
      '(Content-Length or chunked, not both).',
  ]
}
