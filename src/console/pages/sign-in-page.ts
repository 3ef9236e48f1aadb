/**
 * Signing in and out of the console. Sign-in attempts are limited per
 * client address; a wrong name and a wrong password get the same answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { readFormParams } from '../../http/form-body.js'
import { HttpProblem } from '../../http/problem.js'
import {
  clearSessionCookie,
  findSession,
  setSessionCookie,
} from '../console-access.js'
import type { ConsoleContext } from '../console-context.js'
import { renderPage } from '../console-views.js'

/** Registers the sign-in page, its form and sign-out on `scope`. */
export function registerSignIn(
  scope: FastifyInstance,
  context: ConsoleContext,
  base: string,
) {
  const cookiePath = context.config.basePath || '/'
  const { users } = context

  const showSignIn = (
    request: FastifyRequest,
    reply: FastifyReply,
    data: { next: string; name?: string; error?: string },
  ) =>
    renderPage(request, reply, './sign-in', {
      title: 'Sign in',
      closed: !users.anyone,
      ...data,
    })

  scope.get(`${base}/sign-in`, async (request, reply) => {
    await findSession(request, context.sessions)

    return showSignIn(request, reply, { next: nextOf(request, base) })
  })

  scope.post(`${base}/sign-in`, {
    config: {
      rateLimit: {
        max: context.config.console.signInAttemptsPerMinute,
        timeWindow: 60_000,
        errorResponseBuilder: (_request, limit) =>
          new HttpProblem(
            429,
            'too-many-sign-ins',
            'Too many sign-in attempts',
            'Too many sign-in attempts from your address; wait ' +
              `${Math.ceil(limit.ttl / 1000)} seconds and try again.`,
          ),
      },
    },
    handler: async (request, reply) => {
      const form = readFormParams(request)
      const name = single(form.name)
      const password = single(form.password)
      const next = safeNext(single(form.next), base)

      if (!(await users.check(name, password))) {
        request.log.info({ user: name }, 'console sign-in refused')

        return showSignIn(request, reply.code(401), {
          next,
          name,
          error: 'That name and password do not match.',
        })
      }

      const token = await context.sessions.open(name)
      const hours = context.config.console.sessionHours
      setSessionCookie(reply, token, cookiePath, hours * 3600)
      request.log.info({ user: name }, 'signed in to the console')

      return reply.redirect(next, 303)
    },
  })

  scope.post(`${base}/sign-out`, async (request, reply) => {
    const session = await findSession(request, context.sessions)
    const form = readFormParams(request)
    if (session && session.checkCsrf(single(form._csrf))) {
      await context.sessions.close(request.cookies.pressos_console)
      clearSessionCookie(reply, cookiePath)
    }

    return reply.redirect(`${base}/sign-in`, 303)
  })
}

function nextOf(request: FastifyRequest, base: string): string {
  const { next } = request.query as { next?: string }

  return safeNext(next, base)
}

// Only addresses inside the console: a sign-in never sends anyone away.
function safeNext(next: string | undefined, base: string): string {
  const fallback = `${base}/webhooks`
  const inside =
    next === base ||
    next?.startsWith(`${base}/`) ||
    next?.startsWith(`${base}?`)

  return inside ? next! : fallback
}

function single(value: string | string[] | undefined): string {
  return typeof value === 'string' ? value : ''
}
