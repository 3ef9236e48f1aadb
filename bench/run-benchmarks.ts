/**
 * `npm run bench`: drives the events, text-message and quote doors with
 * autocannon, side by side with three baselines on the same events (bare
 * Fastify, the ceiling for Node; Express with one INSERT a request, the
 * hand-made way; Fastify with one INSERT a batch, the ceiling for a durable
 * write), one target at a time. Prints a markdown table and checks the
 * service's targets; it never fails on a figure, only on a broken run.
 *
 *     npm run bench                       # BENCH_SECONDS=10 by default
 *     npm run bench -- --record           # and prepend to bench/RESULTS.md
 *     npm run bench -- --only service-postgres/events,bare-fastify/events
 *     npm run bench -- --keep             # keep the targets' logs
 *
 * BENCH_WARMUP_SECONDS (default 2) sets the uncounted warm-up;
 * BENCH_IDLE_SECONDS (default 5) how long the service is left idle after
 * its load, to count the follow-ups it runs then;
 * BENCH_RESULTS_FILE records somewhere other than bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import {
  BENCH_TARGETS,
  type StartedTarget,
  type TargetName,
} from './bench-targets.js'
import { killLoad, runLoad, type LoadSettings } from './load-run.js'
import { machineCpuSpent, readMachineCpu } from './machine-cpu.js'
import { describeMachine, recordResults, RESULTS_PATH } from './results-file.js'
import {
  checksList,
  checkTargets,
  cpuBudget,
  failuresList,
  leanReference,
  resultsTable,
  type FailedRun,
  type RunResult,
} from './results-table.js'
import { SCENARIOS, type ScenarioName } from './scenarios.js'
import { walWritten } from './wal-totals.js'
import { killAllTargets } from './target-process.js'

/** Every run, in the order they go; never two at once. */
const RUNS: [TargetName, ScenarioName][] = [
  ['bare-fastify', 'events'],
  ['express', 'events'],
  ['fastify-group-commit', 'events'],
  ['service-postgres', 'events'],
  ['service-postgres', 'sms'],
  ['service-postgres', 'quote'],
  ['service-pglite', 'events'],
  ['service-pglite', 'sms'],
  ['service-pglite', 'quote'],
]

/** Concurrent connections autocannon keeps open. */
const CONNECTIONS = 50

interface BenchOptions {
  record: boolean
  keep: boolean
  runs: [TargetName, ScenarioName][]
  load: LoadSettings
  idleSeconds: number
}

let interrupted = false

async function main() {
  const options = readOptions()
  const machine = await describeMachine()
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'pressos-bench-'))
  process.once('exit', killAllTargets)
  process.once('SIGINT', () => {
    interrupted = true
    killLoad()
    killAllTargets()
  })

  const results: RunResult[] = []
  const failures: FailedRun[] = []
  try {
    for (const [target, scenario] of options.runs) {
      if (interrupted) break
      console.error(`bench: ${target} / ${scenario} ...`)
      try {
        results.push(await benchOne(target, scenario, workDir, options))
      } catch (error) {
        failures.push({ target, scenario, error: String(error) })
        console.error(error)
      }
    }
  } finally {
    killLoad()
    killAllTargets()
    if (options.keep) console.error(`bench: logs kept in ${workDir}`)
    else await rm(workDir, { recursive: true, force: true })
  }

  const entry = describeRun(options, machine, results, failures)
  console.log(entry)
  if (options.record && !interrupted) {
    await recordResults(entry)
    console.error(`bench: recorded in ${RESULTS_PATH}`)
  }
  if (failures.length > 0 || interrupted) process.exitCode = 1
}

function readOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      record: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  })

  return {
    record: values.record!,
    keep: values.keep!,
    runs: selectRuns(values.only),
    load: {
      connections: CONNECTIONS,
      seconds: readSeconds('BENCH_SECONDS', 10),
      warmupSeconds: readSeconds('BENCH_WARMUP_SECONDS', 2),
    },
    idleSeconds: readSeconds('BENCH_IDLE_SECONDS', 5),
  }
}

function selectRuns(only: string | undefined): BenchOptions['runs'] {
  if (only === undefined) return RUNS

  const wanted = only.split(',').map((name) => name.trim())
  const known = RUNS.map(([target, scenario]) => `${target}/${scenario}`)
  const unknown = wanted.filter((name) => !known.includes(name))
  if (unknown.length > 0) {
    throw new Error(
      `--only names runs that do not exist: ${unknown.join(', ')}. ` +
        `Choose among ${known.join(', ')}.`,
    )
  }

  return RUNS.filter((_, i) => wanted.includes(known[i]!))
}

function readSeconds(name: string, fallback: number): number {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback

  const seconds = Number(text)
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
    throw new Error(
      `${name} must be a whole number of seconds from 0 to 3600, ` +
        `got "${text}".`,
    )
  }

  return seconds
}

async function benchOne(
  targetName: TargetName,
  scenarioName: ScenarioName,
  workDir: string,
  options: BenchOptions,
): Promise<RunResult> {
  const target = BENCH_TARGETS[targetName]
  const scenario = SCENARIOS[scenarioName]
  const started = await target.start(scenarioName, workDir)
  try {
    const tag = runTag(targetName, scenarioName)
    const { origin } = started.process
    const walBefore = await started.walTotals?.()
    const cpuBefore = await started.process.cpuSeconds()
    const machineBefore = await readMachineCpu()
    const report = await runLoad(origin, scenarioName, tag, options.load)
    const machineCpu = machineCpuSpent(machineBefore, await readMachineCpu())
    const cpuSeconds = (await started.process.cpuSeconds()) - cpuBefore
    const wal = walBefore
      ? walWritten(walBefore, await started.walTotals!())
      : null
    const idleFollowUps = await countIdleFollowUps(started, options)
    const peakMemoryBytes = await started.process.peakMemoryBytes()
    const logBytes = await started.process.logBytes()
    const rows = await started.countRows(report, tag)

    return {
      target: targetName,
      targetTitle: target.title,
      scenario: scenarioName,
      scenarioTitle: scenario.title,
      report,
      rows,
      peakMemoryBytes,
      cpuSeconds,
      machineCpu,
      wal,
      logBytes,
      idleFollowUps,
    }
  } finally {
    await started.close()
  }
}

// Follow-ups done a second while the target, its load over, has no
// requests; null for a target without follow-ups, or with no idle time.
async function countIdleFollowUps(
  started: StartedTarget,
  { idleSeconds }: BenchOptions,
): Promise<number | null> {
  if (!started.followUpsDone || idleSeconds === 0) return null

  const before = await started.followUpsDone()
  await sleep(idleSeconds * 1000)
  const done = (await started.followUpsDone()) - before

  return done / idleSeconds
}

// Request ids start with the tag; no "_" or "%", as rows are found by LIKE.
function runTag(target: TargetName, scenario: ScenarioName): string {
  return `${target}-${scenario}-${randomBytes(3).toString('hex')}`
}

function describeRun(
  options: BenchOptions,
  machine: string,
  results: RunResult[],
  failures: FailedRun[],
): string {
  const { seconds, warmupSeconds, connections } = options.load
  const sections = [
    `## ${new Date().toISOString()}`,
    `Command: \`${commandLine()}\`\n\n${machine}`,
    `${connections} connections, ${seconds} s measured after ` +
      `${warmupSeconds} s of uncounted warm-up, one target at a time. ` +
      'The service runs `node --import tsx src/main.ts` on its default ' +
      'LOG_LEVEL, its stdout and stderr written to a file (log KiB). ' +
      'Latencies are of 2xx answers, at 1 ms resolution; peak RSS is the ' +
      "target process's VmHWM at the end of its run. CPU µs/answer is " +
      "the target process's CPU time (user + system) over the load, " +
      'warm-up included, divided by the answers it gave: a figure less ' +
      'sensitive to a busy machine than throughput. Driver CPU is the ' +
      "load driver's own, divided the same way; machine CPU is the busy " +
      'time of all cores (`/proc/stat`): the target, the driver, ' +
      'PostgreSQL and anything else. The CPU-bound ceiling is the cores ' +
      'times a million divided by machine CPU per answer: the answers a ' +
      'second the machine could give at that cost with every core busy. ' +
      "Stolen is the share of the cores' time the hypervisor gave to " +
      'other machines over the load. WAL per answer is ' +
      'what the PostgreSQL server wrote to its write-ahead log over the ' +
      'load (`pg_stat_wal`, the whole server), divided the same way.',
    resultsTable(results),
    'Rows of 2xx: rows stored for requests answered 2xx, warm-up included. ' +
      'In flight at stop: requests autocannon dropped unanswered when a ' +
      'phase ended, and how many of them the target stored anyway. ' +
      "Follow-ups at stop: the rule runs the run's events set off, how " +
      'many had been given a job and how many were done when the target ' +
      'stopped; the rest wait in the table for the next start. ' +
      `Follow-ups/s once idle: rule runs done a second in the ` +
      `${options.idleSeconds} s after the load, with no requests coming ` +
      "in; at the workers' polling pace, which they keep while events " +
      'come in, a process does at most 2 × JOB_CONCURRENCY a second ' +
      '(20 on its default).',
    `Targets:\n\n${checksList(checkTargets(results))}`,
  ]
  const reference = leanReference(results)
  if (reference) {
    sections.push(
      'The same ratios for the lean group-commit baseline (one INSERT a ' +
        'batch and no other work), the nearest a durable write came on ' +
        `this machine:\n\n${reference}`,
    )
  }
  const budget = cpuBudget(results)
  if (budget) {
    sections.push(
      'The CPU each throughput target leaves an answer on this machine, ' +
        'against what the runs above used (machine CPU per answer):' +
        `\n\n${budget}`,
    )
  }
  if (failures.length > 0) sections.push(`Failed:\n\n${failuresList(failures)}`)

  return sections.join('\n\n') + '\n'
}

function commandLine(): string {
  const env = ['BENCH_SECONDS', 'BENCH_WARMUP_SECONDS', 'BENCH_IDLE_SECONDS']
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]} `)
    .join('')
  const args = process.argv.slice(2)

  return `${env}npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`
}

main().catch((error) => {
  killLoad()
  killAllTargets()
  console.error(error)
  process.exitCode = 1
})
