/**
 * The service's Prometheus metrics: what each door answered and refused and
 * how long it took, the work waiting on the job queues and in the follow-up
 * rules, and Node's own process metrics.
 *
 * Each `ServiceMetrics` keeps its own registry, never prom-client's global
 * one, so two services in one process (as in the tests) count apart.
 */
import type { Logger } from 'pino'
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client'
import type { Backlog } from './backlog.js'
import type { DoorOutcome } from './door-outcome.js'

/**
 * Upper bounds of the door latency buckets, in seconds: from 1 ms, a
 * webhook answered from memory, to 5 s, past which senders start to retry.
 */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]

/** The metrics of one running service. */
export class ServiceMetrics {
  private readonly registry = new Registry()

  private readonly requests = new Counter({
    name: 'pressos_door_requests_total',
    help: 'Requests each door answered, by HTTP status.',
    labelNames: ['door', 'status'] as const,
    registers: [this.registry],
  })

  private readonly refusals = new Counter({
    name: 'pressos_door_refusals_total',
    help: 'Requests each door refused, by the problem type it answered.',
    labelNames: ['door', 'reason'] as const,
    registers: [this.registry],
  })

  private readonly latency = new Histogram({
    name: 'pressos_door_request_duration_seconds',
    help: 'Seconds from a request reaching a door to its answer.',
    labelNames: ['door'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  })

  constructor(backlog: Backlog, logger: Logger) {
    collectDefaultMetrics({ register: this.registry })
    watchJobQueues(this.registry, backlog, logger)
    watchRuleRuns(this.registry, backlog, logger)
  }

  /** Counts one finished door request; suits `OutcomeListener`. */
  readonly record = (outcome: DoorOutcome) => {
    const door = outcome.doorId
    this.requests.inc({ door, status: String(outcome.status) })
    this.latency.observe({ door }, outcome.durationSeconds)
    if (outcome.reason === 'ok') return

    this.refusals.inc({ door, reason: outcome.reason })
  }

  /** The media type of `exposition()`, Prometheus text format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType
  }

  /** Every metric in the Prometheus text format; the backlog is read now. */
  exposition(): Promise<string> {
    return this.registry.metrics()
  }
}

function watchJobQueues(registry: Registry, backlog: Backlog, log: Logger) {
  new Gauge({
    name: 'pressos_job_queue_depth',
    help:
      'Jobs on each queue by state: created (waiting), retry (waiting ' +
      'to be tried again), active (running), failed (in the last 12 h).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      const depths = await readOrWarn(
        () => backlog.countJobs(),
        'job queues',
        log,
      )
      for (const { queue, state, jobs } of depths) {
        this.set({ queue, state }, jobs)
      }
    },
  })
}

function watchRuleRuns(registry: Registry, backlog: Backlog, log: Logger) {
  new Gauge({
    name: 'pressos_follow_up_rule_runs',
    help: 'Follow-up rule runs stored, by status.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      const counts = await readOrWarn(
        () => backlog.countRuleRuns(),
        'rule runs',
        log,
      )
      for (const { status, runs } of counts) this.set({ status }, runs)
    },
  })
  new Gauge({
    name: 'pressos_follow_up_rule_runs_without_job',
    help:
      'Rule runs stored and not yet on the job queue. A few for a moment ' +
      'is normal; a count that grows means jobs cannot be queued.',
    registers: [registry],
    async collect() {
      this.reset()
      const [runs] = await readOrWarn(
        async () => [await backlog.countRuleRunsWithoutJob()],
        'rule runs without a job',
        log,
      )
      if (runs !== undefined) this.set(runs)
    },
  })
}

// A scrape still answers when the database does not: the gauge is left
// empty for that scrape, and the log says why.
async function readOrWarn<Row>(
  read: () => Promise<Row[]>,
  what: string,
  logger: Logger,
): Promise<Row[]> {
  try {
    return await read()
  } catch (error) {
    logger.warn(
      { err: error },
      `could not count the ${what} for /metrics; their gauge is empty`,
    )

    return []
  }
}
