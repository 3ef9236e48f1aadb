/**
 * `<console>/feed`: the activity log, newest first, a page at a time and
 * narrowed by a plain GET form; with JavaScript on, new events appear at
 * the top as they arrive, from `<console>/feed/stream`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { queryInteger } from '../../http/query-params.js'
import { CANONICAL_EVENT_TYPES } from '../../live-feed/event-catalogue.js'
import {
  listFeedEvents,
  type FeedEvent,
  type FeedFilters,
} from '../../live-feed/feed-reading.js'
import type { ConsoleContext } from '../console-context.js'
import { consoleBase, renderPage } from '../console-views.js'
import {
  feedQueryString,
  readFeedFilters,
  renderFeedRow,
  type RowView,
} from '../feed-rows.js'
import { registerFeedStream } from '../feed-stream.js'
import { shopTimeFormatter } from '../shop-time.js'

/** Events on one page of the feed. */
export const FEED_PAGE_SIZE = 50

/** Doors that write to the activity log without being doors of the registry. */
const OTHER_EVENT_DOORS = ['follow-up-rules']

/** Registers the feed page and its stream. */
export function feedPage(scope: FastifyInstance, context: ConsoleContext) {
  const page = `${context.config.basePath}/console/feed`
  const time = shopTimeFormatter(context.config.shopTimeZone)
  const doors = [...context.doors.map((door) => door.id), ...OTHER_EVENT_DOORS]

  registerFeedStream(scope, context, `${page}/stream`, time)

  scope.get(page, async (request, reply) => {
    const filters = readFeedFilters(request.query)
    const before = queryInteger(request, 'before', 0, {
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
    })
    const events = await listFeedEvents(context.database.orm, filters, {
      before: before || undefined,
      limit: FEED_PAGE_SIZE,
    })
    const view: RowView = { base: consoleBase(request), time }

    return renderPage(request, reply, './feed', {
      title: 'Live feed',
      filters,
      filtered: Object.keys(filters).length > 0,
      eventTypes: CANONICAL_EVENT_TYPES,
      doors,
      rows: events.map((event) => renderFeedRow(event, view)),
      caption: before
        ? `Activity log: events before #${before}, newest first`
        : 'Activity log, newest first',
      ...pageLinks(request, filters, events, before),
    })
  })
}

function pageLinks(
  request: FastifyRequest,
  filters: FeedFilters,
  events: FeedEvent[],
  before: number,
) {
  const feed = `${consoleBase(request)}/feed`
  const oldest = events[events.length - 1]
  const full = events.length === FEED_PAGE_SIZE
  const query = (extra?: Record<string, number>) =>
    feedQueryString(filters, extra)

  return {
    reloadUrl: feed + query(before ? { before } : {}),
    newestUrl: before ? feed + query() : undefined,
    olderUrl: full && oldest ? feed + query({ before: oldest.id }) : undefined,
    // Only the newest page takes new events; older pages stay as they are.
    streamUrl: before
      ? undefined
      : `${feed}/stream` + query({ after: events[0]?.id ?? 0 }),
  }
}
