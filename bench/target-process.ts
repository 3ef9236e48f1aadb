/**
 * A benched server in a process of its own: started with its log going to
 * a file, found by the address it logs, measured by its peak memory, and
 * stopped with SIGTERM (SIGKILL when it does not stop in time).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { open, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { childEnv } from '../test/support/child-env.js'

/** How long a target may take to start listening, in milliseconds. */
const START_TIMEOUT_MS = 90_000

/** How long a target may take to stop after SIGTERM, in milliseconds. */
const STOP_TIMEOUT_MS = 30_000

// The line each target logs once it listens, with its origin.
const ADDRESS_LINE = /(?:events door|listening) at (http:\/\/[^/\s"]+)/

/** How to start one target. */
export interface TargetLaunch {
  /** Arguments to node, like `['--import', 'tsx', 'src/main.ts']`. */
  args: string[]
  env: Record<string, string>
  /** Variables of this process's environment the target must not see. */
  unset?: string[]
  /** File the target's stdout and stderr are written to. */
  logPath: string
}

/** A target that is listening. */
export interface RunningTarget {
  origin: string
  pid: number
  /** Resident memory high-water mark (VmHWM), in bytes. */
  peakMemoryBytes(): Promise<number>
  /** CPU time the target has used so far, user and system, in seconds. */
  cpuSeconds(): Promise<number>
  /** Size of the log written so far, in bytes. */
  logBytes(): Promise<number>
  stop(): Promise<void>
}

/** The repository's root, where targets and the load driver run. */
export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
)

const running = new Set<ChildProcess>()

/** Starts the target and waits until it logs its address. */
export async function startTarget(
  launch: TargetLaunch,
): Promise<RunningTarget> {
  const env = childEnv({ PORT: '0', ...launch.env })
  for (const name of launch.unset ?? []) delete env[name]
  const log = await open(launch.logPath, 'w')
  const child = spawn(process.execPath, launch.args, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', log.fd, log.fd],
  })
  await log.close()
  running.add(child)
  child.once('exit', () => running.delete(child))

  try {
    const origin = await waitForAddress(child, launch.logPath)

    return describeTarget(child, origin, launch.logPath)
  } catch (error) {
    await stopChild(child)
    throw error
  }
}

/** Kills every target still running; for exits on error. */
export function killAllTargets() {
  for (const child of running) child.kill('SIGKILL')
}

async function waitForAddress(child: ChildProcess, logPath: string) {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    const logged = await readFile(logPath, 'utf8')
    const match = ADDRESS_LINE.exec(logged)
    if (match) return match[1]!
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The target ${child.spawnargs.join(' ')} exited with ` +
          `${child.exitCode ?? child.signalCode} before listening. ` +
          `Its log (${logPath}):\n${logged}`,
      )
    }
    await sleep(100)
  }

  throw new Error(
    `The target ${child.spawnargs.join(' ')} logged no address within ` +
      `${START_TIMEOUT_MS / 1000} s; see ${logPath}.`,
  )
}

function describeTarget(
  child: ChildProcess,
  origin: string,
  logPath: string,
): RunningTarget {
  return {
    origin,
    pid: child.pid!,
    peakMemoryBytes: () => readPeakMemory(child.pid!),
    cpuSeconds: () => readCpuSeconds(child.pid!),
    logBytes: async () => (await stat(logPath)).size,
    stop: () => stopChild(child),
  }
}

async function readPeakMemory(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status)
  if (!match) throw new Error(`/proc/${pid}/status has no VmHWM line.`)

  return Number(match[1]) * 1024
}

/** Clock ticks a second, the unit of the CPU times under /proc. */
export const CLOCK_TICKS = Number(
  execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }),
)

async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses: utime is the
  // 14th field of the line and stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])

  return ticks / CLOCK_TICKS
}

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return

  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const stopped = await Promise.race([
    exited.then(() => true),
    sleep(STOP_TIMEOUT_MS, false, { ref: false }),
  ])
  if (stopped) return

  child.kill('SIGKILL')
  await exited
}
