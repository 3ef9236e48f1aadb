/**
 * Events sent to `POST /webhooks/events` the way a tool sends them: JSON
 * with the test's webhook secret, through the in-process server.
 */
import type { FastifyInstance } from 'fastify'
import { TEST_SECRET } from './test-service.js'

/**
 * Posts `body` (an object, or a string sent as it is) with the secret and
 * JSON content type; `headers` add to them, and one set to undefined is left
 * out.
 */
export function postEvent(
  app: FastifyInstance,
  body: unknown,
  headers: Record<string, string | undefined> = {},
) {
  const all = {
    'content-type': 'application/json',
    'x-webhook-secret': TEST_SECRET,
    ...headers,
  }
  const sent = Object.entries(all).filter(([, value]) => value !== undefined)

  return app.inject({
    method: 'POST',
    url: '/webhooks/events',
    headers: Object.fromEntries(sent) as Record<string, string>,
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}
