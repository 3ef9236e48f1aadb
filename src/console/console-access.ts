/**
 * Who may see the console: a sign-in with a session cookie, and a CSRF
 * token on every change. The cookie is `HttpOnly`, `SameSite=Lax`, and
 * `Secure` whenever the request came over HTTPS (directly or through a
 * trusted proxy).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type {} from '@fastify/cookie'
import { readFormParams, isFormBody } from '../http/form-body.js'
import { HttpProblem } from '../http/problem.js'
import type { ConsoleSession, ConsoleSessions } from './console-sessions.js'

/** The session cookie's name. */
export const SESSION_COOKIE = 'pressos_console'

const sessions = new WeakMap<FastifyRequest, ConsoleSession>()

/** The signed-in session of `request`, once checked. */
export function sessionOf(request: FastifyRequest): ConsoleSession | undefined {
  return sessions.get(request)
}

/** Looks up the session the request's cookie names. */
export async function findSession(
  request: FastifyRequest,
  store: ConsoleSessions,
): Promise<ConsoleSession | undefined> {
  const session = await store.find(request.cookies[SESSION_COOKIE])
  if (session) sessions.set(request, session)

  return session
}

/** Sets the session cookie for `token`. */
export function setSessionCookie(
  reply: FastifyReply,
  token: string,
  cookiePath: string,
  maxAgeSeconds: number,
) {
  reply.setCookie(SESSION_COOKIE, token, {
    path: cookiePath,
    httpOnly: true,
    sameSite: 'lax',
    secure: 'auto',
    maxAge: maxAgeSeconds,
  })
}

/** Removes the session cookie. */
export function clearSessionCookie(reply: FastifyReply, cookiePath: string) {
  reply.clearCookie(SESSION_COOKIE, { path: cookiePath })
}

/**
 * Makes every route of `scope` require a session, and a CSRF token on
 * every request that changes something.
 */
export function requireSignIn(
  scope: FastifyInstance,
  store: ConsoleSessions,
  signInPath: string,
) {
  scope.addHook('onRequest', async (request, reply) => {
    if (await findSession(request, store)) return

    if (wantsPage(request)) {
      const next = encodeURIComponent(request.url)

      return reply.redirect(`${signInPath}?next=${next}`, 303)
    }
    throw new HttpProblem(
      401,
      'sign-in-required',
      'Sign in first',
      'The console is for the shop only. Sign in at ' +
        `${signInPath} and send the session cookie with the request.`,
    )
  })

  scope.addHook('preHandler', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD') return

    const token = csrfTokenOf(request)
    if (token && sessionOf(request)?.checkCsrf(token)) return

    throw new HttpProblem(
      403,
      'csrf-token-invalid',
      'The form is out of date',
      'This change was not made: it did not carry the CSRF token of your ' +
        'session. Reload the page and try again; scripts send the token of ' +
        'the page in the X-CSRF-Token header.',
    )
  })
}

function wantsPage(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? ''

  return request.method === 'GET' && accept.includes('text/html')
}

function csrfTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-csrf-token']
  if (typeof header === 'string') return header
  if (!isFormBody(request)) return undefined

  const field = readFormParams(request)._csrf

  return typeof field === 'string' ? field : undefined
}
