/**
 * The load driver: runs autocannon against one target and scenario in a
 * process of its own, and prints one JSON line (a `LoadReport`) on stdout.
 * Every request carries a unique id; the report says which ids were
 * acknowledged, refused or left unanswered, so the stored rows can be
 * checked against the answers.
 *
 *     node --import tsx bench/load.ts --scenario events \
 *       --url http://127.0.0.1:3000 --seconds 10 --warmup 2 --tag run1
 */
import { parseArgs } from 'node:util'
import autocannon, { type AutocannonRequest, type Result } from 'autocannon'
import {
  requestId,
  SCENARIO_NAMES,
  SCENARIOS,
  type ScenarioName,
} from './scenarios.js'

/** Figures of one phase (warm-up or measured) of a load run. */
export interface PhaseFigures {
  /** Length of the phase as autocannon timed it, in seconds. */
  seconds: number
  answers2xx: number
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
  timeouts: number
  /** 2xx answers per second. */
  rps: number
  /** Latencies of 2xx answers, in milliseconds (1 ms resolution). */
  p50Ms: number
  p99Ms: number
  maxMs: number
  statusCodes: Record<string, number>
}

/** What `bench/load.ts` prints. */
export interface LoadReport {
  scenario: ScenarioName
  connections: number
  warmup: PhaseFigures | null
  measured: PhaseFigures
  /** Requests sent over both phases. */
  sent: number
  /** 2xx answers over both phases, counted request by request. */
  acknowledged: number
  /** Ids of requests answered with anything but a 2xx. */
  refusedIds: string[]
  /** Ids of requests still in flight when a phase ended, or timed out. */
  unansweredIds: string[]
  /** CPU time the load driver used over both phases, in seconds. */
  cpuSeconds: number
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    url: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    tag: { type: 'string', default: 'bench' },
  },
})

const scenarioName = values.scenario as ScenarioName
if (!SCENARIO_NAMES.includes(scenarioName)) {
  throw new Error(
    `--scenario must be one of ${SCENARIO_NAMES.join(', ')}, ` +
      `got "${values.scenario}".`,
  )
}
if (!values.url) throw new Error('--url is required: the target origin.')

const report = await driveLoad({
  scenario: scenarioName,
  origin: values.url,
  seconds: Number(values.seconds),
  warmupSeconds: Number(values.warmup),
  connections: Number(values.connections),
  tag: values.tag!,
})
process.stdout.write(JSON.stringify(report) + '\n')

interface LoadPlan {
  scenario: ScenarioName
  origin: string
  seconds: number
  warmupSeconds: number
  connections: number
  tag: string
}

async function driveLoad(plan: LoadPlan): Promise<LoadReport> {
  const tally = { sent: 0, acknowledged: 0, refusedIds: [] as string[] }
  const pending = new Set<string>()
  const request = uniqueRequest(plan, tally, pending)
  const cpuBefore = process.cpuUsage()

  const result = await autocannon({
    url: plan.origin,
    connections: plan.connections,
    duration: plan.seconds,
    requests: [request],
    ...(plan.warmupSeconds > 0
      ? { warmup: { duration: plan.warmupSeconds } }
      : {}),
  })
  const cpu = process.cpuUsage(cpuBefore)

  return {
    scenario: plan.scenario,
    connections: plan.connections,
    warmup: result.warmup ? phaseFigures(result.warmup) : null,
    measured: phaseFigures(result),
    sent: tally.sent,
    acknowledged: tally.acknowledged,
    refusedIds: tally.refusedIds,
    unansweredIds: [...pending],
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }
}

// Each connection sends one request at a time, so the id in its context
// is the one its next answer is for.
function uniqueRequest(
  plan: LoadPlan,
  tally: { sent: number; acknowledged: number; refusedIds: string[] },
  pending: Set<string>,
): AutocannonRequest {
  const scenario = SCENARIOS[plan.scenario]

  return {
    method: 'POST',
    setupRequest(request, context) {
      const id = requestId(plan.tag, tally.sent)
      tally.sent += 1
      pending.add(id)
      context.id = id

      return { ...request, ...scenario.build(id, plan.origin) }
    },
    onResponse(status, _body, context) {
      const id = context.id as string
      pending.delete(id)
      if (status >= 200 && status < 300) tally.acknowledged += 1
      else tally.refusedIds.push(id)
    },
  }
}

function phaseFigures(result: Result): PhaseFigures {
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [
      code,
      count,
    ]),
  )

  return {
    seconds: result.duration,
    answers2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    rps: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    statusCodes,
  }
}
