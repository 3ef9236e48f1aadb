/**
 * An S3-compatible server for tests: s3rver, in this process, on a port of
 * its own, with one bucket. It does not check request signatures.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

// s3rver ships without type declarations; this is the part tests use.
interface S3rverInstance {
  run(): Promise<AddressInfo>
  close(): Promise<void>
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass

/** The credentials s3rver expects (it checks the key id only). */
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
}

/** A running s3rver with `bucket`. */
export class S3TestServer {
  private server: S3rverInstance | undefined
  private directory = ''
  private readonly savedEnv = new Map<string, string | undefined>()

  constructor(readonly bucket = 'pressos-test') {}

  /** Starts the server and sets the SDK's credentials; returns its URL. */
  async start(): Promise<string> {
    this.directory = await mkdtemp(path.join(tmpdir(), 'pressos-s3-'))
    this.server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      directory: this.directory,
      silent: true,
      configureBuckets: [{ name: this.bucket }],
    })
    const { port } = await this.server.run()
    for (const [name, value] of Object.entries(CREDENTIALS)) {
      this.savedEnv.set(name, process.env[name])
      process.env[name] = value
    }

    return `http://127.0.0.1:${port}`
  }

  /** Stops the server, restores the environment, removes its files. */
  async stop(): Promise<void> {
    await this.server?.close()
    for (const [name, value] of this.savedEnv) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    await rm(this.directory, { recursive: true, force: true })
  }
}
