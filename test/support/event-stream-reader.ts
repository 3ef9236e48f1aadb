/**
 * Reads a server-sent event stream over real HTTP, message by message, the
 * way a browser's EventSource does.
 */

/** One message of the stream. */
export interface StreamMessage {
  event: string
  id: string | undefined
  data: string
}

/** An open stream. */
export class EventStreamReader {
  private buffer = ''
  private readonly decoder = new TextDecoder()

  private constructor(
    readonly response: Response,
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly controller: AbortController,
  ) {}

  /** Opens `url` with `headers`. */
  static async open(
    url: string,
    headers: Record<string, string>,
  ): Promise<EventStreamReader> {
    const controller = new AbortController()
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    })
    if (!response.body) throw new Error(`no body from ${url}`)

    return new EventStreamReader(
      response,
      response.body.getReader(),
      controller,
    )
  }

  /**
   * The next message for which `wanted` holds, skipping others; throws
   * when none came within `timeoutMs` or the stream ended.
   */
  async next(
    wanted: (message: StreamMessage) => boolean,
    timeoutMs = 10_000,
  ): Promise<StreamMessage> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const message = this.takeMessage()
      if (message && wanted(message)) return message
      if (message) continue

      const chunk = await this.read(deadline - Date.now())
      if (chunk.done) throw new Error('the stream ended before the message')
      this.buffer += this.decoder.decode(chunk.value, { stream: true })
    }
  }

  /** Resolves true when the server ends the stream within `timeoutMs`. */
  async ended(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const chunk = await this.read(deadline - Date.now())
      if (chunk.done) return true
    }
  }

  /** Hangs up, as a closed browser tab does. */
  close() {
    this.controller.abort()
  }

  private takeMessage(): StreamMessage | undefined {
    const end = this.buffer.indexOf('\n\n')
    if (end === -1) return undefined

    const block = this.buffer.slice(0, end)
    this.buffer = this.buffer.slice(end + 2)

    return parseBlock(block)
  }

  private async read(timeoutMs: number) {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('timed out reading the event stream')),
        Math.max(timeoutMs, 0),
      )
    })
    try {
      return await Promise.race([this.reader.read(), timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}

function parseBlock(block: string): StreamMessage {
  const message: StreamMessage = { event: 'message', id: undefined, data: '' }
  const data: string[] = []

  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      message.event = 'comment'
      continue
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') message.event = value
    if (field === 'id') message.id = value
    if (field === 'data') data.push(value)
    if (field === 'retry') message.event = 'retry'
  }
  message.data = data.join('\n')

  return message
}
