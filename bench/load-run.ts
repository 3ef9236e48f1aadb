/**
 * Runs the load driver (bench/load.ts) in a process of its own, so that
 * neither the target nor this process shares its CPU time with autocannon.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { LoadReport } from './load.js'
import type { ScenarioName } from './scenarios.js'
import { REPO_ROOT } from './target-process.js'

/** How hard and how long to drive a target. */
export interface LoadSettings {
  connections: number
  /** Measured seconds. */
  seconds: number
  /** Seconds of warm-up before them, not counted in the figures. */
  warmupSeconds: number
}

let current: ChildProcess | undefined

/** Drives `origin` with `scenario`'s requests and returns the report. */
export async function runLoad(
  origin: string,
  scenario: ScenarioName,
  tag: string,
  settings: LoadSettings,
): Promise<LoadReport> {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'bench/load.ts'],
      ...['--scenario', scenario, '--url', origin, '--tag', tag],
      ...['--connections', String(settings.connections)],
      ...['--seconds', String(settings.seconds)],
      ...['--warmup', String(settings.warmupSeconds)],
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  current = child

  let output = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => (output += chunk))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  current = undefined
  if (code !== 0) {
    throw new Error(`The load driver exited with ${code} against ${origin}.`)
  }

  return JSON.parse(output) as LoadReport
}

/** Stops a load run in progress; for exits on a signal. */
export function killLoad() {
  current?.kill('SIGKILL')
}
