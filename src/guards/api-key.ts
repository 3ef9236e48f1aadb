/**
 * The guard of the mail doors: when `INVOICE_WORKFLOW_API_KEY` is set, the
 * `X-PressOS-Key` header must hold it.
 */
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from '../http/problem.js'
import { matchesSecret } from './shared-secret.js'

/**
 * Lets the request through when it carries an accepted key, or when no key
 * is configured.
 *
 * @throws HttpProblem 401 when the header is missing or wrong.
 */
export function requireApiKey(
  request: FastifyRequest,
  keys: readonly string[],
): void {
  if (keys.length === 0) return

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
