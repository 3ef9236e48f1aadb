/**
 * The HTTP server: one Fastify instance with a route for each door of the
 * registry, problem+json refusals, raw bodies and request ids.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import type { Logger } from 'pino'
import type { Door, DoorContext } from '../doors/door.js'
import { requireTrustedNetwork } from '../guards/trusted-network.js'
import {
  outcomeOf,
  type OutcomeListener,
} from '../observability/door-outcome.js'
import { RequestLog, requestIdFor } from './logging.js'
import {
  answerUnreadableRequest,
  HttpProblem,
  installProblemHandlers,
  sendProblem,
} from './problem.js'
import { installProxyTrust } from './public-url.js'
import { installBodyReaders } from './request-body.js'

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** What else the server is built with, beside its doors. */
export interface AppParts {
  /** Hear of every finished door request. */
  outcomeListeners?: OutcomeListener[]
  /** Register routes that are not doors (the console). */
  extensions?: ((app: FastifyInstance) => Promise<void>)[]
}

/** Builds the server for `doors`; it is not listening yet. */
export async function buildApp(
  context: DoorContext,
  doors: readonly Door[],
  logger: Logger,
  parts: AppParts = {},
): Promise<FastifyInstance> {
  const { config } = context
  const app = Fastify({
    loggerInstance: logger,
    genReqId: requestIdFor,
    trustProxy:
      config.trustedProxies.length > 0 ? config.trustedProxies : false,
    bodyLimit: config.maxBodyBytes,
    return503OnClosing: true,
    clientErrorHandler: answerUnreadableRequest,
    // Node would refuse a request without Host with a bare 400; the hook
    // below refuses it with a problem instead.
    http: { requireHostHeader: false },
    // A path the router cannot decode is refused like any other request.
    frameworkErrors: (error, request, reply) =>
      app.errorHandler(error, request, reply),
    logController: new RequestLog(),
  }) as unknown as FastifyInstance

  app.addHook('onRequest', async (request) => requireHost(request))
  installBodyReaders(app, config.maxBodyBytes)
  installProxyTrust(app, config.trustedProxies)
  installProblemHandlers(app)
  // Once shutdown begins, answers still in hand close their connection, so
  // that idle keep-alive connections do not hold the shutdown up.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
    if (closing) reply.header('connection', 'close')
  })

  const listeners = parts.outcomeListeners ?? []
  for (const door of doors) registerDoor(app, context, door, listeners)
  for (const extend of parts.extensions ?? []) await extend(app)

  return app
}

function registerDoor(
  app: FastifyInstance,
  context: DoorContext,
  door: Door,
  listeners: OutcomeListener[],
) {
  const url = context.config.basePath + door.path
  const onResponse = async (request: FastifyRequest, reply: FastifyReply) => {
    if (listeners.length === 0) return
    const outcome = outcomeOf(door.id, request, reply)
    for (const listener of listeners) listener(outcome)
  }

  app.route({
    method: door.methods,
    url,
    onResponse,
    // A door with no credentials of its own is for the trusted networks;
    // the check runs before the body is even read.
    ...(door.security.scheme === 'trusted-network'
      ? {
          onRequest: async (request: FastifyRequest) =>
            requireTrustedNetwork(request, context.isTrustedNetwork),
        }
      : {}),
    handler: door.handler(context),
  })

  const refused = OTHER_METHODS.filter(
    (m) => !door.methods.includes(m as never),
  )
  if (refused.length === 0) return

  const allow = door.methods.join(', ')
  app.route({
    method: refused,
    url,
    onResponse,
    handler: (request, reply) =>
      sendProblem(
        reply,
        new HttpProblem(
          405,
          'method-not-allowed',
          'Method not allowed',
          `${door.path} takes ${allow}, not ${request.method}.`,
          {},
          { allow },
        ),
      ),
  })
}

// HTTP/1.1 requires a Host header (RFC 9112); the doors need it to know the
// address they were called at, which Twilio's signature covers.
function requireHost(request: FastifyRequest) {
  if (request.raw.httpVersion !== '1.1' || request.headers.host) return

  throw new HttpProblem(
    400,
    'missing-host',
    'Host header missing',
    'An HTTP/1.1 request must carry a Host header naming the server it is ' +
      'for. Send the request again with one.',
  )
}
