/**
 * HTTP as bytes on a socket: requests written exactly as given, framing
 * mistakes and all, which `app.inject` cannot produce, and the answers read
 * back the same way.
 */
import net from 'node:net'

/** One answer read off the socket. */
export interface RawAnswer {
  statusCode: number
  headers: Record<string, string>
  body: string
}

/**
 * Writes `bytes` to 127.0.0.1:`port`, closes the sending side, and reads
 * until the server closes the connection or `waitMs` passes. Returns the
 * answers that came back, in order; none when the server just hung up.
 */
export function sendRaw(
  port: number,
  bytes: Buffer,
  waitMs = 1_000,
): Promise<RawAnswer[]> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes))
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(parseAnswers(Buffer.concat(chunks).toString('latin1')))
    }
    const timer = setTimeout(finish, waitMs)

    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', finish)
    socket.on('close', finish)
    // A reset after the answer was sent is the server hanging up.
    socket.on('error', finish)
  })
}

/** Answers in `text`, each framed by its Content-Length. */
export function parseAnswers(text: string): RawAnswer[] {
  const answers: RawAnswer[] = []
  let rest = text
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) break

    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n')
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':')

        return [
          line.slice(0, colon).trim().toLowerCase(),
          line.slice(colon + 1).trim(),
        ]
      }),
    )
    const length = Number(headers['content-length'] ?? '0')
    const bodyStart = end + 4
    answers.push({
      statusCode: Number(statusLine!.split(' ')[1]),
      headers,
      body: rest.slice(bodyStart, bodyStart + length),
    })
    rest = rest.slice(bodyStart + length)
  }

  return answers
}
