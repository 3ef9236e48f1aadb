/**
 * The guard of the mail doors: when `INVOICE_WORKFLOW_API_KEY` is set, the
 * `X-PressOS-Key` header must hold it.
 */
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from '../http/problem.js'
import { matchesSecret } from './shared-secret.js'
import { requireTrustedNetwork, type NetworkCheck } from './trusted-network.js'

/**
 * Lets the request through when it carries an accepted key. With no key
 * configured the door has no credentials of its own, and only the trusted
 * networks may use it.
 *
 * @throws HttpProblem 401 when the header is missing or wrong, 403 from an
 *   untrusted network when no key is configured.
 */
export function requireApiKey(
  request: FastifyRequest,
  keys: readonly string[],
  isTrustedNetwork: NetworkCheck,
): void {
  if (keys.length === 0) {
    return requireTrustedNetwork(request, isTrustedNetwork)
  }

  const given = request.headers['x-pressos-key']
  if (typeof given !== 'string' || !matchesSecret(given, keys)) {
    throw new HttpProblem(
      401,
      'bad-api-key',
      'API key required',
      given === undefined
        ? 'Send the X-PressOS-Key header with the key set in ' +
            'INVOICE_WORKFLOW_API_KEY on this server.'
        : 'X-PressOS-Key does not match INVOICE_WORKFLOW_API_KEY on this ' +
            'server.',
    )
  }
}
