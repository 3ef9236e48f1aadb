/**
 * The benchmark's results as markdown: one row a target and scenario, then
 * the targets the service is held to, each MET or MISSED.
 */
import type { TargetName } from './bench-targets.js'
import type { LoadReport } from './load.js'
import type { MachineCpu } from './machine-cpu.js'
import type { ScenarioName } from './scenarios.js'
import type { FollowUps, StoredRows } from './stored-rows.js'
import type { WalTotals } from './wal-totals.js'

/** What one target did under one scenario. */
export interface RunResult {
  target: TargetName
  targetTitle: string
  scenario: ScenarioName
  scenarioTitle: string
  report: LoadReport
  /** Null for a target that stores nothing. */
  rows: StoredRows | null
  /** Resident memory high-water mark of the target, in bytes. */
  peakMemoryBytes: number
  /** CPU time the target used during the load, warm-up included, in s. */
  cpuSeconds: number
  /** CPU time the whole machine used during the load, warm-up included. */
  machineCpu: MachineCpu
  /** WAL the PostgreSQL server wrote during the load; null off the server. */
  wal: WalTotals | null
  /** Bytes the target logged during its run. */
  logBytes: number
  /**
   * Follow-ups done a second once the load was over and the target idle;
   * null for targets without follow-ups.
   */
  idleFollowUps: number | null
}

/** A run that could not be measured, and why. */
export interface FailedRun {
  target: TargetName
  scenario: ScenarioName
  error: string
}

/** The share of bare Fastify's throughput the events door must reach. */
const BARE_SHARE = 0.6

/** How many times Express's throughput the events door must reach. */
const EXPRESS_TIMES = 5

/** The p99 latency the events door must stay under, in milliseconds. */
const P99_LIMIT_MS = 25

/** The table of every measured run. */
export function resultsTable(results: RunResult[]): string {
  const header = [
    'target',
    'scenario',
    '2xx/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'non-2xx',
    'errors',
    'CPU µs/answer',
    'driver CPU µs/answer',
    'machine CPU µs/answer',
    'CPU-bound ceiling answers/s',
    'stolen CPU %',
    'WAL records/answer',
    'WAL bytes/answer',
    'peak RSS MiB',
    '2xx (warm-up + run)',
    'rows of 2xx',
    'in flight at stop (stored)',
    'follow-ups at stop (queued, done)',
    'follow-ups/s once idle',
    'log KiB',
  ]
  const rows = results.map((result) => resultRow(result))

  return markdownTable(header, rows)
}

function resultRow(result: RunResult): string[] {
  const { measured, warmup } = result.report
  const warm = warmup?.answers2xx ?? 0
  const rows = result.rows
  const unanswered = result.report.unansweredIds.length

  return [
    result.targetTitle,
    result.scenarioTitle,
    count(measured.rps),
    String(measured.p50Ms),
    String(measured.p99Ms),
    String(measured.maxMs),
    describeNon2xx(result.report),
    String(measured.errors + (warmup?.errors ?? 0)),
    perAnswer(result, result.cpuSeconds),
    perAnswer(result, result.report.cpuSeconds),
    perAnswer(result, result.machineCpu.busySeconds),
    describeCeiling(result),
    describeStolen(result.machineCpu),
    ...walPerAnswer(result),
    (result.peakMemoryBytes / 2 ** 20).toFixed(0),
    `${warm} + ${measured.answers2xx}`,
    rows ? String(rows.acknowledged) : 'n/a',
    rows ? `${unanswered} (${rows.unanswered})` : String(unanswered),
    describeFollowUps(rows?.followUps ?? null),
    describeIdleFollowUps(result),
    (result.logBytes / 1024).toFixed(0),
  ]
}

function describeFollowUps(followUps: FollowUps | null): string {
  if (followUps === null) return 'n/a'

  const { runs, queued, done } = followUps

  return `${count(runs)} (${count(queued)}, ${count(done)})`
}

function describeIdleFollowUps({ idleFollowUps }: RunResult): string {
  if (idleFollowUps === null) return 'n/a'

  return count(idleFollowUps)
}

// CPU seconds spent per answer of any status, warm-up included, in µs.
function perAnswer(result: RunResult, cpuSeconds: number): string {
  const micros = microsPerAnswer(result, cpuSeconds)
  if (micros === null) return 'n/a'

  return count(micros)
}

function microsPerAnswer(result: RunResult, cpuSeconds: number) {
  const answers = allAnswers(result.report)
  if (answers === 0) return null

  return (cpuSeconds * 1e6) / answers
}

// The answers a second the machine's cores could give, all of them busy,
// at what this target cost the whole machine per answer.
function describeCeiling(result: RunResult): string {
  const { busySeconds, cores } = result.machineCpu
  const micros = microsPerAnswer(result, busySeconds)
  if (micros === null || micros === 0) return 'n/a'

  return count((cores * 1e6) / micros)
}

// The share of the cores' time the hypervisor gave to other machines.
function describeStolen({ stolenSeconds, totalSeconds }: MachineCpu): string {
  if (totalSeconds === 0) return 'n/a'

  return ((100 * stolenSeconds) / totalSeconds).toFixed(0)
}

// WAL records and bytes per answer of any status, warm-up included.
function walPerAnswer(result: RunResult): [string, string] {
  const answers = allAnswers(result.report)
  if (result.wal === null || answers === 0) return ['n/a', 'n/a']

  return [
    (result.wal.records / answers).toFixed(1),
    count(result.wal.bytes / answers),
  ]
}

function allAnswers({ measured, warmup }: LoadReport): number {
  return (
    measured.answers2xx +
    measured.non2xx +
    (warmup ? warmup.answers2xx + warmup.non2xx : 0)
  )
}

function describeNon2xx(report: LoadReport): string {
  const codes = { ...report.warmup?.statusCodes }
  for (const [code, count] of Object.entries(report.measured.statusCodes)) {
    codes[code] = (codes[code] ?? 0) + count
  }
  const refused = Object.entries(codes).filter(([code]) => !/^2/.test(code))
  if (refused.length === 0) return '0'

  return refused.map(([code, count]) => `${count}×${code}`).join(', ')
}

/** A target and whether this run met it. */
export interface TargetCheck {
  target: string
  met: boolean | null
  figures: string
}

/** The targets set for the service, checked against `results`. */
export function checkTargets(results: RunResult[]): TargetCheck[] {
  const find = (target: TargetName) =>
    results.find((r) => r.target === target && r.scenario === 'events')
  const service = find('service-postgres')
  const bare = find('bare-fastify')
  const express = find('express')

  return [
    throughputCheck(service, bare, BARE_SHARE, 'bare Fastify'),
    latencyCheck(service),
    throughputCheck(service, express, EXPRESS_TIMES, 'Express + pg'),
    ...results.filter((r) => r.rows !== null).map(rowsCheck),
  ]
}

function throughputCheck(
  service: RunResult | undefined,
  baseline: RunResult | undefined,
  times: number,
  baselineName: string,
): TargetCheck {
  const target =
    `events on PostgreSQL ≥ ${times}× ${baselineName} ` + 'throughput'
  if (!service || !baseline) {
    return { target, met: null, figures: 'not measured in this run' }
  }

  const ratio = service.report.measured.rps / baseline.report.measured.rps

  return {
    target,
    met: ratio >= times,
    figures: `${ratio.toFixed(2)}× (${rate(service)} vs ${rate(baseline)} 2xx/s)`,
  }
}

function latencyCheck(service: RunResult | undefined): TargetCheck {
  const target = `events on PostgreSQL p99 < ${P99_LIMIT_MS} ms`
  if (!service) return { target, met: null, figures: 'not measured' }

  const p99 = service.report.measured.p99Ms

  return { target, met: p99 < P99_LIMIT_MS, figures: `p99 ${p99} ms` }
}

function rowsCheck(result: RunResult): TargetCheck {
  const rows = result.rows!
  const acknowledged = result.report.acknowledged
  const met =
    rows.acknowledged === acknowledged &&
    rows.refused === 0 &&
    rows.duplicated === 0

  return {
    target: `${result.targetTitle}, ${result.scenario}: rows == 2xx`,
    met,
    figures:
      `${rows.acknowledged} rows for ${acknowledged} 2xx (warm-up ` +
      `included); ${rows.refused} rows of refused requests, ` +
      `${rows.duplicated} duplicated`,
  }
}

function rate(result: RunResult): string {
  return count(result.report.measured.rps)
}

/**
 * The targets' ratios for the lean group-commit baseline, as a markdown
 * list: how near this machine lets the leanest durable write come to the
 * service's targets. Null when the run did not measure all three.
 */
export function leanReference(results: RunResult[]): string | null {
  const find = (target: TargetName) =>
    results.find((r) => r.target === target && r.scenario === 'events')
  const lean = find('fastify-group-commit')
  const bare = find('bare-fastify')
  const express = find('express')
  if (!lean || !bare || !express) return null

  const times = (baseline: RunResult) =>
    (lean.report.measured.rps / baseline.report.measured.rps).toFixed(2)

  return [
    `- ${times(bare)}× bare Fastify (${rate(lean)} vs ${rate(bare)} 2xx/s)`,
    `- ${times(express)}× Express + pg ` +
      `(${rate(lean)} vs ${rate(express)} 2xx/s)`,
    `- p99 ${lean.report.measured.p99Ms} ms`,
  ].join('\n')
}

/**
 * The machine CPU per answer that each throughput target leaves, beside
 * what the lean baseline and the service used, as a markdown list. The
 * load driver, the target and PostgreSQL share the cores, so a target
 * whose run needs more of the machine per answer than the budget cannot
 * reach it on this machine. Null when the run did not measure all four.
 */
export function cpuBudget(results: RunResult[]): string | null {
  const find = (target: TargetName) =>
    results.find((r) => r.target === target && r.scenario === 'events')
  const service = find('service-postgres')
  const lean = find('fastify-group-commit')
  const bare = find('bare-fastify')
  const express = find('express')
  if (!service || !lean || !bare || !express) return null

  const { cores } = service.machineCpu
  const budgets = [
    { name: `${BARE_SHARE}× bare Fastify`, rps: BARE_SHARE * rateOf(bare) },
    {
      name: `${EXPRESS_TIMES}× Express + pg`,
      rps: EXPRESS_TIMES * rateOf(express),
    },
  ].map(({ name, rps }) => ({ name, rps, micros: (cores * 1e6) / rps }))

  const used = (title: string, result: RunResult) => {
    const micros = microsPerAnswer(result, result.machineCpu.busySeconds)
    if (micros === null) return `- ${title} gave no answers`

    const verdicts = budgets.map(
      (budget) =>
        `${micros <= budget.micros ? 'within' : 'over'} the ${budget.name} ` +
        'budget',
    )

    return (
      `- ${title} used ${count(micros)} µs per answer (the load driver ` +
      `${perAnswer(result, result.report.cpuSeconds)} µs of it): ` +
      verdicts.join(', ')
    )
  }

  return [
    ...budgets.map(
      (budget) =>
        `- ${budget.name} is ${count(budget.rps)} answers/s: ${cores} ` +
        `cores give ${count(budget.micros)} µs of CPU per answer, for the ` +
        'load driver, the target and PostgreSQL together',
    ),
    used('bare Fastify (storing nothing)', bare),
    used('the lean baseline', lean),
    used('PressOS Inbound', service),
  ].join('\n')
}

function rateOf(result: RunResult): number {
  return result.report.measured.rps
}

/** The checks as a markdown list. */
export function checksList(checks: TargetCheck[]): string {
  return checks
    .map((check) => {
      const verdict =
        check.met === null ? 'NOT MEASURED' : check.met ? 'MET' : 'MISSED'

      return `- **${verdict}** ${check.target}: ${check.figures}`
    })
    .join('\n')
}

/** The runs that failed, as a markdown list. */
export function failuresList(failures: FailedRun[]): string {
  return failures
    .map((f) => `- ${f.target} / ${f.scenario} failed: ${f.error}`)
    .join('\n')
}

function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  )
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`

  return [line(header), rule, ...rows.map(line)].join('\n')
}

// A figure rounded to a whole number, with thousands separated.
function count(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}
