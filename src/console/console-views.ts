/**
 * The console's pages are Eta templates in `views/`, rendered on the
 * server: fast to load, readable with JavaScript off, and changed by editing
 * HTML. Output is escaped unless a template asks for raw HTML with `<%~`.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Eta } from 'eta'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { sessionOf } from './console-access.js'

const VIEWS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  'views',
)

const eta = new Eta({ views: VIEWS, cache: true, autoEscape: true })

/** The console's menu, in order: path under `/console` and label. */
export const CONSOLE_MENU: readonly { path: string; label: string }[] = [
  { path: '/webhooks', label: 'Webhooks' },
  { path: '/feed', label: 'Live feed' },
  { path: '/rejected', label: 'Rejected' },
  { path: '/inbox', label: 'Inbox' },
  { path: '/conversations', label: 'Texts & voicemail' },
  { path: '/confirmations', label: 'Print confirmations' },
  { path: '/quotes', label: 'Quotes' },
  { path: '/roadmap', label: 'Roadmap' },
  { path: '/notifications', label: 'Notifications' },
]

/** Renders the page `template` with `data` and the console's frame. */
export function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: Record<string, unknown> & { title: string },
) {
  const session = sessionOf(request)
  const html = eta.render(template, {
    ...data,
    base: consoleBase(request),
    user: session?.userName,
    csrf: session?.csrfToken(),
    menu: CONSOLE_MENU,
    here: request.url.split('?')[0],
  })

  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(html)
}

/** The console's path prefix as this request reached it: `/x/console`. */
export function consoleBase(request: FastifyRequest): string {
  const url = request.routeOptions.url ?? ''

  return url.slice(0, url.indexOf('/console') + '/console'.length)
}

/**
 * Renders the template `template` alone, without the page's frame: a piece
 * of a page sent to a script, like a new row of the live feed.
 */
export function renderFragment(
  template: string,
  data: Record<string, unknown>,
): string {
  return eta.render(template, data)
}
