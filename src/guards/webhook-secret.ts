/**
 * The guard of the events door: the `X-Webhook-Secret` header must hold one
 * of the configured webhook secrets.
 */
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from '../http/problem.js'
import { matchesSecret } from './shared-secret.js'

/** Header that carries the shared secret. */
export const WEBHOOK_SECRET_HEADER = 'x-webhook-secret'

/** Variables that may hold webhook secrets. */
export const WEBHOOK_SECRET_VARIABLES = [
  'WEBHOOK_SECRET',
  'PRESSOS_WEBHOOK_SECRET',
  'PRINTBRAIN_WEBHOOK_SECRET',
]

/**
 * Lets the request through when it carries an accepted secret.
 *
 * @throws HttpProblem 503 when no secret is configured, 401 when the header
 *   is missing or holds none of the accepted values.
 */
export function requireWebhookSecret(
  request: FastifyRequest,
  secrets: readonly string[],
): void {
  if (secrets.length === 0) {
    throw new HttpProblem(
      503,
      'door-not-configured',
      'Door closed: no webhook secret configured',
      'This server has no webhook secret, so it accepts no events. Set ' +
        `${WEBHOOK_SECRET_VARIABLES.join(', ')} (one is enough) and restart.`,
    )
  }

  const given = request.headers[WEBHOOK_SECRET_HEADER]
  if (given === undefined) {
    throw unauthorized(
      'The X-Webhook-Secret header is missing. Send the ' +
        'webhook secret configured on this PressOS server in it.',
    )
  }

  const value = Array.isArray(given) ? given.join(',') : given
  if (!matchesSecret(value, secrets)) {
    throw unauthorized(
      'The X-Webhook-Secret header does not match the ' +
        'webhook secret configured on this server. Check the value your tool ' +
        'sends; after a rotation, both old and new values may be listed.',
    )
  }
}

function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(
    401,
    'bad-webhook-secret',
    'Unauthorized',
    detail,
    {},
    {
      'www-authenticate': 'X-Webhook-Secret',
    },
  )
}
