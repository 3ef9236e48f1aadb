/**
 * The door journal: when each door last received a request, how many it
 * answered and refused per hour and why, and the latest refusals in full.
 *
 * Outcomes are gathered in memory and written once a second in one
 * transaction, so a webhook never waits on the journal. A flood cannot fill
 * the database: hourly counts are one row per door, hour and reason, at most
 * `MAX_PENDING_REFUSALS` refusals wait between writes, and only the newest
 * `REFUSALS_KEPT_PER_DOOR` of each door are kept.
 */
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm'
import type { Logger } from 'pino'
import { rowsOf, type Orm } from '../storage/database.js'
import { doorRefusals, doorTraffic } from '../storage/schema.js'
import type { DoorOutcome } from './door-outcome.js'

/** Full refusals kept per door; older ones are deleted. */
export const REFUSALS_KEPT_PER_DOOR = 200

/** Refusals held between two writes; more are counted but not kept. */
export const MAX_PENDING_REFUSALS = 500

/** Hourly counts older than this many days are deleted. */
export const TRAFFIC_DAYS_KEPT = 7

const FLUSH_INTERVAL_MS = 1_000

/** One door's traffic over the last day. */
export interface DoorActivity {
  doorId: string
  lastRequestAt: Date | null
  answered: number
  refused: number
  /** Refusals by reason, most frequent first. */
  refusalReasons: { reason: string; count: number }[]
}

/** A kept refusal. */
export type DoorRefusal = typeof doorRefusals.$inferSelect

/** Records door outcomes and answers questions about them. */
export class DoorJournal {
  private counts = new Map<string, TrafficCount>()
  private refusals: DoorOutcome[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly orm: Orm,
    private readonly logger: Logger,
  ) {}

  /** Starts writing once a second. */
  start() {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS)
    this.timer.unref()
  }

  /** Stops the timer and writes what is still held. */
  async stop() {
    clearInterval(this.timer)
    await this.flush()
  }

  /** Takes one outcome; suits `OutcomeListener`. */
  readonly record = (outcome: DoorOutcome) => {
    const hour = startOfHour(outcome.finishedAt)
    const key = `${outcome.doorId} ${hour.getTime()} ${outcome.reason}`
    const count = this.counts.get(key)
    if (count) {
      count.requests += 1
      count.lastAt = outcome.finishedAt
    } else {
      this.counts.set(key, {
        doorId: outcome.doorId,
        hour,
        outcome: outcome.reason,
        requests: 1,
        lastAt: outcome.finishedAt,
      })
    }

    const refused = outcome.reason !== 'ok'
    if (refused && this.refusals.length < MAX_PENDING_REFUSALS) {
      this.refusals.push(outcome)
    }
  }

  /** Writes what is held; writes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write())

    return this.flushing
  }

  /** Each door's traffic over the last 24 hours. */
  async activity(now = new Date()): Promise<Map<string, DoorActivity>> {
    await this.flush()
    const since = new Date(now.getTime() - 24 * 3_600_000)
    const rows = await this.orm
      .select({
        doorId: doorTraffic.doorId,
        outcome: doorTraffic.outcome,
        requests: sql<number>`sum(${doorTraffic.requests})::int`,
        lastAt: sql<string>`max(${doorTraffic.lastAt})`,
      })
      .from(doorTraffic)
      .where(gte(doorTraffic.hour, startOfHour(since)))
      .groupBy(doorTraffic.doorId, doorTraffic.outcome)
    const lastSeen = await this.lastRequests()

    return summarise(rows, lastSeen)
  }

  /** The newest kept refusals, of one door or of all. */
  async recentRefusals(doorId?: string, limit = 100): Promise<DoorRefusal[]> {
    await this.flush()

    return this.orm
      .select()
      .from(doorRefusals)
      .where(doorId === undefined ? undefined : eq(doorRefusals.doorId, doorId))
      .orderBy(desc(doorRefusals.id))
      .limit(limit)
  }

  private async lastRequests(): Promise<Map<string, Date>> {
    const result = await this.orm.execute(
      sql`select door_id, max(last_at) as last_at
          from ${doorTraffic} group by door_id`,
    )
    const rows = rowsOf<{ door_id: string; last_at: string | Date }>(result)

    return new Map(rows.map((r) => [r.door_id, new Date(r.last_at)]))
  }

  private async write() {
    const counts = [...this.counts.values()]
    const refusals = this.refusals
    if (counts.length === 0 && refusals.length === 0) return

    this.counts = new Map()
    this.refusals = []
    try {
      await this.orm.transaction(async (tx) => {
        await addCounts(tx, counts)
        await keepRefusals(tx, refusals)
      })
    } catch (error) {
      // The journal is a convenience: losing a second of it beats blocking.
      this.logger.warn(
        { err: error, refusals: refusals.length },
        'could not write the door journal; these counts are lost',
      )
    }
  }
}

interface TrafficCount {
  doorId: string
  hour: Date
  outcome: string
  requests: number
  lastAt: Date
}

async function addCounts(tx: Orm, counts: TrafficCount[]) {
  if (counts.length === 0) return

  await tx
    .insert(doorTraffic)
    .values(counts)
    .onConflictDoUpdate({
      target: [doorTraffic.doorId, doorTraffic.hour, doorTraffic.outcome],
      set: {
        requests: sql`${doorTraffic.requests} + excluded.requests`,
        lastAt: sql`greatest(${doorTraffic.lastAt}, excluded.last_at)`,
      },
    })
  const cutoff = new Date(Date.now() - TRAFFIC_DAYS_KEPT * 24 * 3_600_000)
  await tx.delete(doorTraffic).where(lt(doorTraffic.hour, cutoff))
}

async function keepRefusals(tx: Orm, refusals: DoorOutcome[]) {
  if (refusals.length === 0) return

  await tx.insert(doorRefusals).values(
    refusals.map((o) => ({
      doorId: o.doorId,
      status: o.status,
      reason: o.reason,
      detail: o.detail ?? '',
      method: o.method,
      url: o.url,
      clientAddress: o.clientAddress,
      headers: o.headers,
      requestId: o.requestId,
      refusedAt: o.finishedAt,
    })),
  )

  const doors = [...new Set(refusals.map((o) => o.doorId))]
  for (const doorId of doors) await pruneRefusals(tx, doorId)
}

async function pruneRefusals(tx: Orm, doorId: string) {
  const oldestKept = tx
    .select({ id: doorRefusals.id })
    .from(doorRefusals)
    .where(eq(doorRefusals.doorId, doorId))
    .orderBy(desc(doorRefusals.id))
    .offset(REFUSALS_KEPT_PER_DOOR - 1)
    .limit(1)

  await tx
    .delete(doorRefusals)
    .where(
      and(eq(doorRefusals.doorId, doorId), lt(doorRefusals.id, oldestKept)),
    )
}

function summarise(
  rows: { doorId: string; outcome: string; requests: number }[],
  lastSeen: Map<string, Date>,
): Map<string, DoorActivity> {
  const activity = new Map<string, DoorActivity>()

  for (const row of rows) {
    let door = activity.get(row.doorId)
    if (!door) {
      door = {
        doorId: row.doorId,
        lastRequestAt: lastSeen.get(row.doorId) ?? null,
        answered: 0,
        refused: 0,
        refusalReasons: [],
      }
      activity.set(row.doorId, door)
    }
    if (row.outcome === 'ok') {
      door.answered += row.requests
    } else {
      door.refused += row.requests
      door.refusalReasons.push({ reason: row.outcome, count: row.requests })
    }
  }
  for (const door of activity.values()) {
    door.refusalReasons.sort((a, b) => b.count - a.count)
  }

  return activity
}

function startOfHour(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000)
}
