/**
 * The guard of `/metrics`: a scraper sends one of the tokens set in
 * `METRICS_TOKEN` as a bearer token, or the caller is signed in to the
 * operator console.
 */
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from '../http/problem.js'
import { matchesSecret } from './shared-secret.js'

/** Whether `request` comes from someone signed in to the console. */
export type SignInCheck = (request: FastifyRequest) => Promise<boolean>

/**
 * Lets the request through when it carries an accepted bearer token or a
 * console session. The session is only asked about when no token matched.
 *
 * @throws HttpProblem 401 saying which of the two to bring.
 */
export async function requireMetricsReader(
  request: FastifyRequest,
  tokens: readonly string[],
  isSignedIn?: SignInCheck,
): Promise<void> {
  const given = bearerTokenOf(request)
  if (given !== undefined && matchesSecret(given, tokens)) return
  if (isSignedIn && (await isSignedIn(request))) return

  throw new HttpProblem(
    401,
    'metrics-unauthorized',
    'Metrics token or console sign-in required',
    refusalDetail(given, tokens),
    {},
    { 'www-authenticate': 'Bearer realm="PressOS metrics"' },
  )
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = header?.match(/^Bearer +(\S+) *$/i)

  return match?.[1]
}

function refusalDetail(
  given: string | undefined,
  tokens: readonly string[],
): string {
  if (tokens.length === 0) {
    return (
      'METRICS_TOKEN is not set on this server, so only people signed in ' +
      'to the console may read the metrics. Sign in to the console, or set ' +
      'METRICS_TOKEN and send it as "Authorization: Bearer <token>".'
    )
  }
  if (given === undefined) {
    return (
      'Send the bearer token configured in METRICS_TOKEN on this server ' +
      'as "Authorization: Bearer <token>", or sign in to the console.'
    )
  }

  return (
    'The bearer token does not match METRICS_TOKEN on this server. Send ' +
    'the token configured there (while rotating, each listed value is ' +
    'accepted), or sign in to the console.'
  )
}
