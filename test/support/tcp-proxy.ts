/**
 * A TCP proxy between the service and PostgreSQL that a test can cut and
 * restore, to play a database outage without touching the shared server.
 */
import net from 'node:net'

/** A running proxy. */
export interface TcpProxy {
  /** Port the proxy listens on, on 127.0.0.1. */
  port: number
  /** Drops every open connection and refuses new ones until `restore`. */
  cut(): Promise<void>
  /** Accepts and forwards connections again. */
  restore(): Promise<void>
  close(): Promise<void>
}

/** Starts a proxy on a free port that forwards to `target`. */
export async function startTcpProxy(target: {
  host: string
  port: number
}): Promise<TcpProxy> {
  const open = new Set<net.Socket>()
  let port = 0

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host)
    open.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    for (const socket of [client, upstream]) {
      socket.on('error', () => {})
      socket.on('close', () => {
        open.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
  })

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        port = (server.address() as net.AddressInfo).port
        resolve()
      })
    })
  const stopListening = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy()
      if (!server.listening) return resolve()
      server.close(() => resolve())
    })

  await listen()

  return {
    get port() {
      return port
    },
    cut: stopListening,
    restore: listen,
    close: stopListening,
  }
}
