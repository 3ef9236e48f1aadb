/**
 * Absolute addresses of this deployment's doors, as callers outside see them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import proxyaddr from 'proxy-addr'
import type { Config } from '../config/environment.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** True when the peer is one of `TRUSTED_PROXIES`. */
    fromTrustedProxy: boolean
  }
}

/** Marks each request that comes straight from a trusted proxy. */
export function installProxyTrust(app: FastifyInstance, proxies: string[]) {
  const trusted = proxyaddr.compile(proxies)
  app.decorateRequest('fromTrustedProxy', false)
  app.addHook('onRequest', async (request) => {
    const peer = request.socket.remoteAddress
    request.fromTrustedProxy = peer !== undefined && trusted(peer, 0)
  })
}

/**
 * The scheme, host and port the caller used: the request's own, or what a
 * trusted proxy forwarded in `X-Forwarded-Proto`, `-Host` and `-Port`.
 */
export function requestOrigin(request: FastifyRequest): string {
  const origin = `${request.protocol}://${request.host}`
  const port = request.headers['x-forwarded-port']
  if (!request.fromTrustedProxy || typeof port !== 'string') return origin
  if (!/^\d{1,5}$/.test(port) || /:\d+$/.test(request.host)) return origin

  const isDefault =
    (request.protocol === 'https' && port === '443') ||
    (request.protocol === 'http' && port === '80')

  return isDefault ? origin : `${origin}:${port}`
}

/**
 * The absolute URL of `doorPath` under this deployment: `PUBLIC_BASE_URL`
 * when set, else the origin the request came in on, followed by `BASE_PATH`.
 */
export function publicUrl(
  request: FastifyRequest,
  config: Pick<Config, 'publicBaseUrl' | 'basePath'>,
  doorPath: string,
): string {
  const origin = config.publicBaseUrl ?? requestOrigin(request)

  return origin + config.basePath + doorPath
}

/**
 * The absolute URL the caller requested, query included: `baseUrl` (when
 * given) or the request's origin, followed by the path as received.
 */
export function calledUrl(
  request: FastifyRequest,
  baseUrl: string | undefined,
): string {
  return (baseUrl ?? requestOrigin(request)) + request.url
}
