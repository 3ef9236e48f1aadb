/**
 * Absolute addresses of this deployment's doors, as callers outside see them.
 */
import type { FastifyRequest } from 'fastify'
import type { Config } from '../config/environment.js'

/**
 * The absolute URL of `doorPath` under this deployment: `PUBLIC_BASE_URL`
 * when set, else the scheme and host the request came in on (forwarded
 * headers count only from `TRUSTED_PROXIES`), followed by `BASE_PATH`.
 */
export function publicUrl(
  request: FastifyRequest,
  config: Pick<Config, 'publicBaseUrl' | 'basePath'>,
  doorPath: string,
): string {
  const origin = config.publicBaseUrl ?? `${request.protocol}://${request.host}`

  return origin + config.basePath + doorPath
}
