/**
 * The operator console under `<BASE_PATH>/console`: sign-in, then one page
 * per part of the shop's incoming work. Every page and every JSON endpoint
 * of it is behind the sign-in; only the sign-in page and its stylesheet are
 * not.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { requireSignIn } from './console-access.js'
import type { ConsoleContext, ConsolePage } from './console-context.js'
import { registerSignIn } from './pages/sign-in-page.js'

const ASSETS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  'assets',
)

/** The stylesheet the sign-in page needs; every other asset is guarded. */
const PUBLIC_ASSETS = new Set(['console.css'])

/** Builds the extension that adds the console and its `pages` to a server. */
export function consoleExtension(
  context: ConsoleContext,
  pages: readonly ConsolePage[],
) {
  return async (app: FastifyInstance) => {
    const base = `${context.config.basePath}/console`

    await app.register(cookie)
    await app.register(rateLimit, { global: false })
    await app.register(async (open) => {
      registerSignIn(open, context, base)
      await open.register(fastifyStatic, {
        root: ASSETS,
        prefix: `${base}/assets/`,
        allowedPath: (file) => PUBLIC_ASSETS.has(file.replace(/^\//, '')),
      })
    })
    await app.register(async (guarded) => {
      requireSignIn(guarded, context.sessions, `${base}/sign-in`)
      await guarded.register(fastifyStatic, {
        root: ASSETS,
        prefix: `${base}/scripts/`,
        decorateReply: false,
      })
      guarded.get(base, (_request, reply) =>
        reply.redirect(`${base}/webhooks`, 303),
      )
      for (const page of pages) page(guarded, context)
    })
  }
}
