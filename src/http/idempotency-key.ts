/**
 * The `Idempotency-Key` request header: a caller's name for one operation,
 * so that sending it again does not do it twice.
 */
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from './problem.js'

/** Longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 255

/**
 * The request's idempotency key, or undefined when it sent none.
 *
 * @throws HttpProblem 400 when the key is empty, too long or not printable.
 */
export function readIdempotencyKey(
  request: FastifyRequest,
): string | undefined {
  const value = request.headers['idempotency-key']
  if (value === undefined) return undefined

  const key = Array.isArray(value) ? value.join(',') : value
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(key) || key.length > MAX_KEY_LENGTH) {
    throw new HttpProblem(
      400,
      'bad-idempotency-key',
      'Bad Idempotency-Key',
      `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII ` +
        'characters, such as a UUID; the one sent is ' +
        `${key.length} characters long or holds other characters.`,
    )
  }

  return key
}
