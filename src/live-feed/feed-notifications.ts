/**
 * News of the activity log as it happens, from every process on the
 * database: the database announces each stored event and each change of a
 * rule run's status (migration 0005), and one listener per process passes
 * the news on to everyone watching the feed there.
 */
import type { Logger } from 'pino'
import type { Database, Unlisten } from '../storage/database.js'

/** The channel a new activity event's id is announced on. */
export const EVENT_CHANNEL = 'activity_events'

/** The channel a rule run's event id is announced on when its status moves. */
export const RULE_RUN_CHANNEL = 'rule_runs'

/** One piece of news about the event `eventId`. */
export interface FeedNotice {
  kind: 'event-stored' | 'rule-runs-changed'
  eventId: number
}

/** What a watcher hears; `onEnd` is called when the feed shuts down. */
export interface FeedWatcher {
  onNotice(notice: FeedNotice): void
  onEnd(): void
}

/**
 * The process's one listener on the database. It starts listening when the
 * first watcher comes, and stops at `close`.
 */
export class FeedNotifications {
  private readonly watchers = new Set<FeedWatcher>()
  private listening: Promise<Unlisten[]> | undefined
  private closed = false

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  /**
   * Adds `watcher` once the listener is up; the returned function removes
   * it. Throws when the feed is shut down or the database cannot listen.
   */
  async watch(watcher: FeedWatcher): Promise<() => void> {
    if (this.closed) throw new Error('the live feed is shut down')

    await this.startListening()
    if (this.closed) throw new Error('the live feed is shut down')
    this.watchers.add(watcher)

    return () => {
      this.watchers.delete(watcher)
    }
  }

  /** How many watchers are connected, for tests and logs. */
  get watcherCount(): number {
    return this.watchers.size
  }

  /** Ends every watcher and stops listening to the database. */
  async close(): Promise<void> {
    this.closed = true
    for (const watcher of this.watchers) watcher.onEnd()
    this.watchers.clear()

    const listening = this.listening
    this.listening = undefined
    const unlistens = await listening?.catch(() => [])
    await Promise.all((unlistens ?? []).map((unlisten) => unlisten()))
  }

  private startListening(): Promise<Unlisten[]> {
    this.listening ??= this.listenToBoth().catch((error: Error) => {
      // Let the next watcher try again rather than keep a broken listener.
      this.listening = undefined
      throw error
    })

    return this.listening
  }

  private async listenToBoth(): Promise<Unlisten[]> {
    const outcomes = await Promise.allSettled([
      this.listenTo(EVENT_CHANNEL, 'event-stored'),
      this.listenTo(RULE_RUN_CHANNEL, 'rule-runs-changed'),
    ])
    const unlistens = outcomes.flatMap((outcome) =>
      outcome.status === 'fulfilled' ? [outcome.value] : [],
    )
    const failure = outcomes.find((outcome) => outcome.status === 'rejected')
    if (!failure) return unlistens

    await Promise.all(unlistens.map((unlisten) => unlisten()))
    throw (failure as PromiseRejectedResult).reason
  }

  private listenTo(channel: string, kind: FeedNotice['kind']) {
    return this.database.listen(channel, (payload) => {
      const eventId = Number(payload)
      if (!Number.isSafeInteger(eventId)) {
        this.logger.warn({ channel, payload }, 'feed notice without an id')

        return
      }
      this.tell({ kind, eventId })
    })
  }

  private tell(notice: FeedNotice) {
    for (const watcher of this.watchers) {
      try {
        watcher.onNotice(notice)
      } catch (error) {
        this.logger.warn({ err: error, notice }, 'feed watcher failed')
      }
    }
  }
}
