/**
 * The activity log: every event that came in, stored together with the
 * follow-up rule runs it set off.
 *
 * Concurrent requests share statements (group commit): while one batch is
 * being written, new events wait in line and go to disk together in the
 * next one, so a burst costs one statement and one durable flush rather
 * than one per event. A batch's rule runs are stored with it and put on the
 * job queue by the relay (rule-run-relay.ts) as the workers make room;
 * events stored inside another door's transaction have their jobs queued
 * in it.
 */
import { randomUUID } from 'node:crypto'
import { inArray } from 'drizzle-orm'
import type { Logger } from 'pino'
import type { EventFacts, RuleBook } from '../follow-up/rule-book.js'
import { isDatabaseOutage } from '../storage/database-outage.js'
import {
  runnerFor,
  type Database,
  type Orm,
  type StatementRunner,
} from '../storage/database.js'
import { activityEvents } from '../storage/schema.js'
import {
  insertBatch,
  type EventInsert,
  type InsertedEvent,
  type StoredCopy,
} from './bulk-inserts.js'
import { canonicalEventType } from './event-catalogue.js'

/** An event about to be stored. */
export interface IncomingEvent {
  /** Which door or part of the service it came through. */
  door: string
  /** `event_type` exactly as sent. */
  rawEventType: string
  eventId?: string | null
  source?: string | null
  workOrderId?: string | null
  occurredAt?: Date | null
  /** The whole JSON body as sent. */
  payload: Record<string, unknown>
  /** Stores the event once per key; a repeat returns the first one. */
  dedupeKey?: string | null
  /** Fingerprint of the body, to tell a true repeat from a reused key. */
  bodySha256?: string | null
  /** When true, a repeat of the key with another fingerprint is refused. */
  requireSameBody?: boolean
  derivedFromEventId?: number | null
  requestId?: string | null
}

/** What became of an incoming event. */
export interface StoredEvent {
  id: number
  eventType: string | null
  recognised: boolean
  /** True when the key had been seen before and nothing new was stored. */
  duplicate: boolean
  /** The follow-up rule runs stored for it; none for a repeat. */
  ruleRunIds: number[]
}

/** A dedupe key sent again with a different body. */
export class ReusedKeyError extends Error {
  override name = 'ReusedKeyError'

  constructor(readonly existingId: number) {
    super(`the key was first used for event ${existingId} with another body`)
  }
}

/** More events are waiting to be written than the log takes in. */
export class ActivityLogFullError extends Error {
  override name = 'ActivityLogFullError'

  constructor(readonly limit: number) {
    super(`${limit} events are already waiting to be written`)
  }
}

/** Puts rule-run jobs on the job queue inside the caller's transaction. */
export interface RuleRunScheduler {
  enqueueRuleRuns(
    tx: Orm,
    runs: { jobId: string; ruleRunId: number }[],
  ): Promise<void>
}

/** What storing events needs besides the transaction. */
export interface StoreContext {
  ruleBook: RuleBook
  scheduler: RuleRunScheduler
}

/** Hears which rule runs were stored without their jobs. */
export interface RuleRunOutbox {
  stored(ruleRunIds: number[]): void
}

/** How `storeEvents` goes about it. */
export interface StoreOptions {
  /** Queue a job for every rule run in `tx`; else leave them to the relay. */
  queueJobs?: boolean
  /** Runs the batch statement; by default through `tx`, unprepared. */
  runBatch?: StatementRunner
}

/**
 * Stores `events` through `tx` and matches the follow-up rules on each new
 * recognised event. With `queueJobs`, `tx` must be an open transaction and
 * a job is queued in it for every rule run; without, the rule runs are left
 * for the relay and `tx` may be the database itself.
 */
export async function storeEvents(
  tx: Orm,
  events: IncomingEvent[],
  context: StoreContext,
  { queueJobs = true, runBatch = runnerFor(tx) }: StoreOptions = {},
): Promise<(StoredEvent | ReusedKeyError)[]> {
  const rows = events.map(toRow)
  const planned = planRuleRuns(rows, context.ruleBook, queueJobs)

  const outcomes = await insertBatch(runBatch, rows, planned)
  if (queueJobs) await queueJobsOf(tx, outcomes, context.scheduler)
  const firsts = await findFirstCopies(tx, rows, outcomes)

  return outcomes.map((outcome, i) => {
    const row = rows[i]!
    if (outcome.inserted) {
      return {
        id: outcome.id,
        eventType: row.eventType,
        recognised: row.recognised,
        duplicate: false,
        ruleRunIds: outcome.ruleRuns.map((run) => run.id),
      }
    }

    return describeRepeat(events[i]!, firsts.get(row.dedupeKey!)!)
  })
}

function toRow(event: IncomingEvent): EventInsert {
  const eventType = canonicalEventType(event.rawEventType) ?? null

  return {
    door: event.door,
    eventType,
    rawEventType: event.rawEventType,
    recognised: eventType !== null,
    eventId: event.eventId ?? null,
    source: event.source ?? null,
    workOrderId: event.workOrderId ?? null,
    occurredAt: event.occurredAt ?? null,
    dedupeKey: event.dedupeKey ?? null,
    bodySha256: event.bodySha256 ?? null,
    payload: event.payload,
    derivedFromEventId: event.derivedFromEventId ?? null,
    requestId: event.requestId ?? null,
  }
}

// Rules are matched on every recognised event of the batch; the statement
// stores the runs of those that turn out to be new.
function planRuleRuns(
  rows: EventInsert[],
  ruleBook: RuleBook,
  withJobIds: boolean,
) {
  return rows.flatMap((row, eventIndex) => {
    if (row.eventType === null) return []

    return ruleBook.matching(factsOf(row)).map((rule) => ({
      eventIndex,
      ruleId: rule.id,
      rule,
      jobId: withJobIds ? randomUUID() : null,
    }))
  })
}

async function queueJobsOf(
  tx: Orm,
  outcomes: InsertedEvent[],
  scheduler: RuleRunScheduler,
) {
  const runs = outcomes.flatMap((outcome) =>
    outcome.ruleRuns.map((run) => ({ jobId: run.jobId!, ruleRunId: run.id })),
  )
  if (runs.length > 0) await scheduler.enqueueRuleRuns(tx, runs)
}

// Repeats whose first copy the batch statement could not see (stored by the
// same batch, or committed while it ran) are looked up once more.
async function findFirstCopies(
  tx: Orm,
  rows: EventInsert[],
  outcomes: InsertedEvent[],
): Promise<Map<string, StoredCopy>> {
  const firsts = new Map<string, StoredCopy>()
  const unseen: string[] = []
  outcomes.forEach((outcome, i) => {
    if (outcome.inserted) return
    if (outcome.first) firsts.set(outcome.first.dedupeKey, outcome.first)
    else unseen.push(rows[i]!.dedupeKey!)
  })
  if (unseen.length === 0) return firsts

  const found = await tx
    .select({
      id: activityEvents.id,
      eventType: activityEvents.eventType,
      recognised: activityEvents.recognised,
      bodySha256: activityEvents.bodySha256,
      dedupeKey: activityEvents.dedupeKey,
    })
    .from(activityEvents)
    .where(inArray(activityEvents.dedupeKey, unseen))
  for (const row of found) firsts.set(row.dedupeKey!, row as StoredCopy)

  return firsts
}

function describeRepeat(
  event: IncomingEvent,
  first: StoredCopy,
): StoredEvent | ReusedKeyError {
  if (event.requireSameBody && first.bodySha256 !== event.bodySha256) {
    return new ReusedKeyError(first.id)
  }

  return {
    id: first.id,
    eventType: first.eventType,
    recognised: first.recognised,
    duplicate: true,
    ruleRunIds: [],
  }
}

/** What the follow-up rules see of a stored event. */
export function factsOf(row: {
  eventType: string | null
  source?: string | null
  workOrderId?: string | null
  payload: unknown
}): EventFacts {
  return {
    eventType: row.eventType ?? '',
    source: row.source ?? null,
    workOrderId: row.workOrderId ?? null,
    payload: row.payload as Record<string, unknown>,
  }
}

interface Waiting {
  event: IncomingEvent
  resolve(stored: StoredEvent): void
  reject(error: Error): void
}

/** Most events written in one transaction. */
const MAX_BATCH = 256

/**
 * Most batches being written at once. With one, the events that come in
 * while a batch commits all wait for the next, so batches grow with the
 * load; with two, the second write took the few that had arrived, and a
 * batch cost more of the database and of this process per event.
 */
const MAX_CONCURRENT_WRITES = 1

/** How long after its last event the log counts as idle, by default. */
const QUIET_MS = 1_000

/**
 * The write path of the doors: `record` resolves once the event and its
 * rule runs are committed, sharing the statement with whatever other events
 * arrived meanwhile; `outbox` hears of the rule runs, to queue their jobs.
 * One batch is written at a time, and the next gathers while it commits.
 */
export class ActivityLog {
  private waiting: Waiting[] = []
  private writes = new Set<Promise<void>>()
  private writeScheduled = false
  private lastEventAt = -Infinity

  constructor(
    private readonly database: Pick<Database, 'orm' | 'runPrepared'>,
    private readonly context: StoreContext,
    private readonly outbox: RuleRunOutbox,
    private readonly logger: Logger,
    /** Most events that may wait; more are refused at once, not queued. */
    private readonly queueLimit: number,
    /** How long after its last event the log counts as idle, in ms. */
    private readonly quietMs = QUIET_MS,
  ) {}

  /**
   * Stores `event` durably.
   *
   * @throws ReusedKeyError when its dedupe key was used for another body.
   * @throws ActivityLogFullError when `queueLimit` events are waiting.
   */
  record(event: IncomingEvent): Promise<StoredEvent> {
    this.noteArrival(event)
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(new ActivityLogFullError(this.queueLimit))
    }

    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject })
      this.scheduleWrite()
    })
  }

  /**
   * Stores `event` in the caller's open transaction `tx`, for doors that
   * store records of their own with it.
   *
   * @throws ReusedKeyError when its dedupe key was used for another body.
   */
  async recordWithin(tx: Orm, event: IncomingEvent): Promise<StoredEvent> {
    this.noteArrival(event)
    const [outcome] = await storeEvents(tx, [event], this.context)
    if (outcome instanceof ReusedKeyError) throw outcome

    return outcome!
  }

  /** Events waiting for a write that has not begun yet. */
  get waitingCount(): number {
    return this.waiting.length
  }

  /**
   * True when no event is waiting or being written and none has come in
   * for `quietMs`; events that follow-ups emit do not count as coming in.
   * The quiet time matters on the embedded database, whose queries run on
   * this thread: while they do, requests wait unread, and an empty queue
   * alone would say nothing is coming.
   */
  get idle(): boolean {
    const quiet = performance.now() - this.lastEventAt >= this.quietMs

    return quiet && this.waiting.length === 0 && this.writes.size === 0
  }

  /** Resolves when every event handed to `record` so far is written. */
  async drain(): Promise<void> {
    while (this.writes.size > 0 || this.writeScheduled) {
      await Promise.all(this.writes)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  private noteArrival(event: IncomingEvent) {
    if (event.derivedFromEventId == null) this.lastEventAt = performance.now()
  }

  private scheduleWrite() {
    if (this.writeScheduled) return
    if (this.writes.size >= MAX_CONCURRENT_WRITES) return

    this.writeScheduled = true
    // Let requests that are already parsed join this batch.
    setImmediate(() => {
      this.writeScheduled = false
      this.startWrite()
    })
  }

  private startWrite() {
    if (this.waiting.length === 0) return

    const batch = this.waiting.splice(0, MAX_BATCH)
    const write = this.writeBatch(batch).finally(() => {
      this.writes.delete(write)
      if (this.waiting.length > 0) this.scheduleWrite()
    })
    this.writes.add(write)
    if (this.waiting.length > 0) this.scheduleWrite()
  }

  private async writeBatch(batch: Waiting[]): Promise<void> {
    try {
      // One statement stores the whole batch, so it needs no transaction,
      // and it runs prepared.
      const outcomes = await storeEvents(
        this.database.orm,
        batch.map((item) => item.event),
        this.context,
        { queueJobs: false, runBatch: this.database.runPrepared },
      )
      settle(batch, outcomes)
      const ruleRunIds = outcomes.flatMap((outcome) =>
        outcome instanceof ReusedKeyError ? [] : outcome.ruleRunIds,
      )
      if (ruleRunIds.length > 0) this.outbox.stored(ruleRunIds)
    } catch (error) {
      // Without a database, writing them one by one would only fail slower.
      if (batch.length === 1 || isDatabaseOutage(error)) {
        for (const item of batch) item.reject(error as Error)

        return
      }

      // One bad event must not sink the others: write each on its own.
      this.logger.warn(
        { err: error, batchSize: batch.length },
        'activity log batch failed; writing its events one by one',
      )
      for (const item of batch) await this.writeBatch([item])
    }
  }
}

function settle(batch: Waiting[], outcomes: (StoredEvent | ReusedKeyError)[]) {
  batch.forEach((item, i) => {
    const outcome = outcomes[i]!
    if (outcome instanceof ReusedKeyError) item.reject(outcome)
    else item.resolve(outcome)
  })
}
