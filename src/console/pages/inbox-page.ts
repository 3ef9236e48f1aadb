/**
 * `<console>/inbox`: the shop's inbox items (insights from other systems
 * and items the follow-up rules made) with a button for each next status.
 * The buttons change an item through the same check and update as the
 * `PATCH /api/inbox/:id` door.
 */
import type { FastifyInstance } from 'fastify'
import { moveInboxItem, readInboxStatus } from '../../doors/inbox-doors.js'
import { readFormParams } from '../../http/form-body.js'
import { pathId, queryInteger } from '../../http/query-params.js'
import {
  inboxKindsAndSources,
  INBOX_STATUSES,
  listInboxItems,
  type InboxStatus,
} from '../../shop/inbox.js'
import { sessionOf } from '../console-access.js'
import type { ConsoleContext } from '../console-context.js'
import { consoleBase, renderPage } from '../console-views.js'
import { displayFormats } from '../display-formats.js'

/** Items shown on one page of the inbox. */
const PAGE_SIZE = 50

/** The statuses shown when the filter names none. */
const OPEN_STATUSES: readonly InboxStatus[] = ['new', 'seen']

/** The buttons of an item: the status each sets, and its label. */
const STATUS_BUTTONS: readonly { status: InboxStatus; label: string }[] = [
  { status: 'seen', label: 'Seen' },
  { status: 'done', label: 'Done' },
  { status: 'dismissed', label: 'Dismiss' },
]

/** What the inbox page is filtered by. */
interface InboxView {
  statuses: readonly InboxStatus[]
  kind: string
  source: string
}

/** Registers the inbox page and its status buttons. */
export function inboxPage(scope: FastifyInstance, context: ConsoleContext) {
  const page = `${context.config.basePath}/console/inbox`
  const orm = context.database.orm

  scope.get(page, async (request, reply) => {
    const view = readView(request.query)
    const offset = queryInteger(request, 'offset', 0, {
      min: 0,
      max: 1_000_000,
    })
    const items = await listInboxItems(orm, {
      status: view.statuses,
      kind: view.kind || undefined,
      source: view.source || undefined,
      limit: PAGE_SIZE,
      offset,
    })

    return renderPage(request, reply, './inbox', {
      title: 'Inbox',
      ...displayFormats(context.config.shopTimeZone),
      items,
      view,
      facets: await inboxKindsAndSources(orm),
      statuses: INBOX_STATUSES,
      buttons: STATUS_BUTTONS,
      filterQuery: filterQuery(view),
      changed: readChange(request.query),
      offset,
      nextOffset: items.length === PAGE_SIZE ? offset + PAGE_SIZE : undefined,
    })
  })

  scope.post(`${page}/:id/status`, async (request, reply) => {
    const id = pathId(request, 'id')
    const status = readInboxStatus(readFormParams(request).status)
    const item = await moveInboxItem(orm, id, status)
    request.log.info(
      { inboxItemId: id, status, user: sessionOf(request)?.userName },
      'inbox item moved from the console',
    )

    const back = new URLSearchParams(filterQuery(readView(request.query)))
    back.set('changed', `${item.id}:${item.status}`)

    return reply.redirect(`${consoleBase(request)}/inbox?${back}`, 303)
  })
}

/**
 * The filter of a query string: statuses (any number of `status`; open
 * items when none), kind and source.
 *
 * @throws HttpProblem 422 for a status that does not exist.
 */
function readView(query: unknown): InboxView {
  const { status, kind, source } = query as Record<string, unknown>
  const named = [status ?? []].flat().filter((value) => value !== '')
  const statuses = named.map(readInboxStatus)

  return {
    statuses: statuses.length > 0 ? [...new Set(statuses)] : OPEN_STATUSES,
    kind: typeof kind === 'string' ? kind : '',
    source: typeof source === 'string' ? source : '',
  }
}

/** The query string that shows `view` again. */
function filterQuery(view: InboxView): string {
  const query = new URLSearchParams()
  for (const status of view.statuses) query.append('status', status)
  if (view.kind) query.set('kind', view.kind)
  if (view.source) query.set('source', view.source)

  return query.toString()
}

/** The change just made, as the redirect after a button reports it. */
function readChange(
  query: unknown,
): { id: number; status: InboxStatus } | undefined {
  const { changed } = query as { changed?: unknown }
  const match = /^(\d{1,15}):([a-z]+)$/.exec(String(changed ?? ''))
  const status = match?.[2] as InboxStatus | undefined
  if (!match || !status || !INBOX_STATUSES.includes(status)) return undefined

  return { id: Number(match[1]), status }
}
