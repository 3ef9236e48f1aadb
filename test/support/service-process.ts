/**
 * The real service as a process of its own, started the way `npm start`
 * starts it, for tests that kill it, cut its database or run two of it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { childEnv } from './child-env.js'

/** A started service process. */
export interface ServiceProcess {
  child: ChildProcess
  /** Origin the service listens on, like `http://127.0.0.1:40123`. */
  origin: string
  /** Every line it wrote to standard output so far. */
  logged: string[]
  /** Resolves with the exit code (or signal name) once it has exited. */
  exited: Promise<number | string | null>
  /** Sends SIGTERM and waits for the exit; does nothing if it is gone. */
  stop(): Promise<void>
}

/** Starts `src/main.ts` with `env` on a free port; waits until it listens. */
export async function startServiceProcess(
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: childEnv({ PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const logged: string[] = []
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  )

  const origin = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logged.push(line)
      const match = /events door at (http:\/\/[^/]+)/.exec(line)
      if (match) resolve(match[1]!)
    })
    void exited.then((code) =>
      reject(
        new Error(`the service exited with ${code}:\n${logged.join('\n')}`),
      ),
    )
  })

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
    }
    await exited
  }

  return { child, origin, logged, exited, stop }
}
