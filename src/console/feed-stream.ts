/**
 * `<console>/feed/stream`: the live feed as server-sent events. Each reader
 * gets the rows of new events that match the filters of its query string
 * (`feed-event`, with the event's id as the SSE id) and the new rule-run
 * cell of such events when a run's status moves (`rule-runs`). A reader
 * that reconnects with `Last-Event-ID` (or opens with `?after=<id>`) first
 * gets what it missed.
 *
 * The news comes from the database's notifications, so a reader sees
 * events that any process of the service stored.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { HttpProblem } from '../http/problem.js'
import {
  FeedNotifications,
  type FeedNotice,
} from '../live-feed/feed-notifications.js'
import {
  findFeedEvent,
  listFeedEventsAfter,
  matchesFeedFilters,
  type FeedEvent,
  type FeedFilters,
} from '../live-feed/feed-reading.js'
import type { Orm } from '../storage/database.js'
import type { ConsoleContext } from './console-context.js'
import { consoleBase } from './console-views.js'
import {
  readFeedFilters,
  renderFeedRow,
  renderRuleRunCell,
  type RowView,
} from './feed-rows.js'

/** How often an idle stream sends a comment, in milliseconds. */
export const HEARTBEAT_MS = 15_000

/** Most missed events sent to a reader that reconnects. */
const MAX_MISSED = 100

/** How long a browser waits before reconnecting, in milliseconds. */
const RECONNECT_MS = 3_000

/**
 * Registers the stream at `path` on `scope`, with one listener on the
 * database for all its readers, ended when the server closes.
 */
export function registerFeedStream(
  scope: FastifyInstance,
  context: ConsoleContext,
  path: string,
  time: RowView['time'],
) {
  const notifications = new FeedNotifications(
    context.database,
    context.logger.child({ part: 'live-feed' }),
  )
  const loads = new NoticeLoads(context.database.orm)

  // Readers are ended before the server waits for its connections to close.
  scope.addHook('preClose', () => notifications.close())

  scope.get(path, async (request, reply) => {
    const reader = new FeedReader({
      raw: reply.raw,
      filters: readFeedFilters(request.query),
      view: { base: consoleBase(request), time },
      orm: context.database.orm,
      loads,
      log: request.log,
    })
    const stopWatching = await watchOrRefuse(notifications, reader, request)

    const leave = () => {
      stopWatching()
      reader.stop()
    }
    reply.hijack()
    reply.raw.on('close', leave)
    // The reader may have gone while the listener was starting.
    if (reply.raw.destroyed) return leave()

    open(reply, request)
    reader.start(lastSeenId(request))
  })
}

async function watchOrRefuse(
  notifications: FeedNotifications,
  reader: FeedReader,
  request: FastifyRequest,
): Promise<() => void> {
  try {
    return await notifications.watch(reader)
  } catch (error) {
    request.log.error({ err: error }, 'the live feed cannot listen')
    throw new HttpProblem(
      503,
      'live-feed-unavailable',
      'Live feed unavailable',
      'The live feed cannot hear the database right now; reload the page ' +
        'to see new events, and try the live feed again in a minute.',
    )
  }
}

function open(reply: FastifyReply, request: FastifyRequest) {
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
    // The connection serves this stream only; closing it with the stream
    // lets the server shut down without waiting for it.
    connection: 'close',
  })
  reply.raw.write(`retry: ${RECONNECT_MS}\n\n`)
}

// The id the reader saw last: the browser's Last-Event-ID on a reconnect,
// otherwise the newest event the page showed.
function lastSeenId(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id']
  const { after } = request.query as { after?: unknown }
  const value = typeof header === 'string' ? header : after
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined

  return Number(value)
}

/**
 * Loads each notice's event once, however many readers hear it. Keyed by
 * the notice itself, so a later notice about the same event loads afresh.
 */
class NoticeLoads {
  private readonly loads = new WeakMap<
    FeedNotice,
    Promise<FeedEvent | undefined>
  >()

  constructor(private readonly orm: Orm) {}

  eventOf(notice: FeedNotice): Promise<FeedEvent | undefined> {
    let load = this.loads.get(notice)
    if (!load) {
      load = findFeedEvent(this.orm, notice.eventId)
      this.loads.set(notice, load)
    }

    return load
  }
}

interface ReaderParts {
  raw: ServerResponse
  filters: FeedFilters
  view: RowView
  orm: Orm
  loads: NoticeLoads
  log: Logger | FastifyRequest['log']
}

/**
 * One connected reader. Notices are handled in order, after the events it
 * missed, and never the same new event twice.
 */
class FeedReader {
  private queue: Promise<void>
  private begin!: () => void
  private heartbeat: NodeJS.Timeout | undefined
  private readonly caughtUp = new Set<number>()
  private stopped = false

  constructor(private readonly parts: ReaderParts) {
    this.queue = new Promise((resolve) => (this.begin = resolve))
  }

  /** Sends what was missed since `after`, then the notices as they come. */
  start(after: number | undefined) {
    if (after !== undefined) this.enqueue(() => this.sendMissed(after))
    this.heartbeat = setInterval(
      () => this.write(': heartbeat\n\n'),
      HEARTBEAT_MS,
    )
    this.begin()
  }

  onNotice(notice: FeedNotice) {
    this.enqueue(() => this.handle(notice))
  }

  /** The feed shuts down: end the response. */
  onEnd() {
    this.stop()
    this.parts.raw.end()
  }

  stop() {
    this.stopped = true
    clearInterval(this.heartbeat)
  }

  private enqueue(work: () => Promise<void>) {
    this.queue = this.queue.then(work).catch((error: Error) => {
      this.parts.log.warn({ err: error }, 'live feed update not sent')
    })
  }

  private async sendMissed(after: number) {
    const { orm, filters } = this.parts
    const missed = await listFeedEventsAfter(orm, filters, after, MAX_MISSED)
    for (const event of missed) {
      this.caughtUp.add(event.id)
      this.sendEvent(event)
    }
  }

  private async handle(notice: FeedNotice) {
    if (this.stopped) return
    if (notice.kind === 'event-stored' && this.caughtUp.has(notice.eventId)) {
      return
    }

    const event = await this.parts.loads.eventOf(notice)
    if (!event || !matchesFeedFilters(event, this.parts.filters)) return

    if (notice.kind === 'event-stored') this.sendEvent(event)
    else this.sendRuleRuns(event)
  }

  private sendEvent(event: FeedEvent) {
    const html = renderFeedRow(event, this.parts.view)
    const data = JSON.stringify({ id: event.id, html })
    this.write(`event: feed-event\nid: ${event.id}\ndata: ${data}\n\n`)
  }

  private sendRuleRuns(event: FeedEvent) {
    const html = renderRuleRunCell(event)
    const data = JSON.stringify({ id: event.id, html })
    this.write(`event: rule-runs\ndata: ${data}\n\n`)
  }

  private write(text: string) {
    const { raw } = this.parts
    if (this.stopped || raw.writableEnded || raw.destroyed) return

    raw.write(text)
  }
}
