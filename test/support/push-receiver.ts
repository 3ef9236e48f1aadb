/**
 * A real HTTP server standing in for an ntfy server: it records what it is
 * sent and answers with the statuses a test scripts.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedPush {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export class PushReceiver {
  readonly received: ReceivedPush[] = []
  private server: Server | undefined
  /** Statuses to answer, in order; once used up, 200. */
  statuses: number[] = []

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        this.received.push({
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        })
        response.statusCode = this.statuses.shift() ?? 200
        response.end('{"id":"msg"}')
      })
    })
    await new Promise<void>((resolve) =>
      this.server!.listen(0, '127.0.0.1', resolve),
    )
    const { port } = this.server.address() as AddressInfo

    return `http://127.0.0.1:${port}/pressos-shop`
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve))
  }
}
