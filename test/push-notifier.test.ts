import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, beforeEach, describe, it, mock } from 'node:test'

import {
  createNotifier,
  PushDeliveryError,
  type PushMessage,
} from '../src/push/notifier.js'

interface ReceivedRequest {
  method: string | undefined
  url: string | undefined
  headers: IncomingHttpHeaders
  body: string
}

/** A stand-in ntfy server that keeps what it got and answers as told. */
class FakeNtfyServer {
  readonly received: ReceivedRequest[] = []
  answer = { status: 200, body: '{"id":"abc123"}' }
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      this.received.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      response.writeHead(this.answer.status, {
        'content-type': 'application/json',
      })
      response.end(this.answer.body)
    })
  })

  async start(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server.listen(0, '127.0.0.1', resolve),
    )
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  topicUrl(topic: string): string {
    const { port } = this.server.address() as AddressInfo

    return `http://127.0.0.1:${port}/${topic}`
  }

  lastRequest(): ReceivedRequest {
    const request = this.received.at(-1)
    assert.ok(request, 'the ntfy server received no request')

    return request
  }
}

/** Turns `=?UTF-8?B?...?=` words back into text, as ntfy does. */
function decodeEncodedWords(value: string): string {
  return value
    .split(' ')
    .map((word) => {
      const match = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(word)
      assert.ok(match, `"${word}" is not an RFC 2047 encoded word`)

      return Buffer.from(match[1] ?? '', 'base64').toString('utf8')
    })
    .join('')
}

const TOKEN = 'tk_s3cret0fthe5hop'

const qcFailed: PushMessage = {
  title: 'QC failed: WO-1042',
  message: 'Cracked ink on 12 of 48 hoodies',
  priority: 'urgent',
  tags: ['rotating_light', 'qc'],
  click: 'https://pressos.example/work-orders/WO-1042',
}

const silentLogger = { info: () => {} }

describe('the ntfy driver', () => {
  const ntfy = new FakeNtfyServer()

  before(() => ntfy.start())
  after(() => ntfy.stop())
  beforeEach(() => {
    ntfy.received.length = 0
    ntfy.answer = { status: 200, body: '{"id":"abc123"}' }
  })

  it('posts the message as the body to the topic URL', async () => {
    const notifier = createNotifier({
      url: ntfy.topicUrl('acme-print-floor'),
      logger: silentLogger,
    })
    await notifier.send(qcFailed)

    const request = ntfy.lastRequest()
    assert.equal(notifier.driver, 'ntfy')
    assert.equal(request.method, 'POST')
    assert.equal(request.url, '/acme-print-floor')
    assert.equal(request.body, 'Cracked ink on 12 of 48 hoodies')
  })

  it('sends title, priority, tags, click and token as headers', async () => {
    const notifier = createNotifier({
      url: ntfy.topicUrl('acme-print-floor'),
      token: TOKEN,
      logger: silentLogger,
    })
    await notifier.send(qcFailed)

    const { headers } = ntfy.lastRequest()
    assert.equal(headers.title, 'QC failed: WO-1042')
    assert.equal(headers.priority, 'urgent')
    assert.equal(headers.tags, 'rotating_light,qc')
    assert.equal(headers.click, 'https://pressos.example/work-orders/WO-1042')
    assert.equal(headers.authorization, `Bearer ${TOKEN}`)
  })

  it('uses the ntfy word for each priority', async () => {
    const notifier = createNotifier({
      url: ntfy.topicUrl('acme-print-floor'),
      logger: silentLogger,
    })
    for (const priority of ['low', 'normal', 'high', 'urgent'] as const) {
      await notifier.send({ ...qcFailed, priority })
    }

    assert.deepEqual(
      ntfy.received.map((request) => request.headers.priority),
      ['low', 'default', 'high', 'urgent'],
    )
  })

  it('leaves out tags, click and authorization if none', async () => {
    const notifier = createNotifier({
      url: ntfy.topicUrl('acme-print-floor'),
      logger: silentLogger,
    })
    await notifier.send({ ...qcFailed, tags: [], click: undefined })

    const { headers } = ntfy.lastRequest()
    assert.equal(headers.tags, undefined)
    assert.equal(headers.click, undefined)
    assert.equal(headers.authorization, undefined)
  })

  it('sends a non-ASCII title RFC 2047 encoded', async () => {
    const title =
      'Nouvelle demande de Zoë Müller: 200 t-shirts brodés ✂️ pour le ' +
      'festival de Saint-Jean, livraison avant le 24 juin'
    const notifier = createNotifier({
      url: ntfy.topicUrl('acme-print-floor'),
      logger: silentLogger,
    })
    await notifier.send({ ...qcFailed, title })

    const sent = String(ntfy.lastRequest().headers.title)
    assert.match(sent, /^=\?UTF-8\?B\?/)
    assert.equal(decodeEncodedWords(sent), title)
    for (const word of sent.split(' ')) {
      assert.ok(word.length <= 75, `encoded word too long: ${word}`)
    }
  })

  it('puts a title of several lines on one header line', async () => {
    const notifier = createNotifier({
      url: ntfy.topicUrl('acme-print-floor'),
      logger: silentLogger,
    })
    await notifier.send({ ...qcFailed, title: 'QC failed:\r\n  WO-1042\n' })

    assert.equal(ntfy.lastRequest().headers.title, 'QC failed: WO-1042')
  })

  it('rejects a 500 answer without showing the token', async () => {
    ntfy.answer = { status: 500, body: `{"error":"storage full ${TOKEN}"}` }
    const notifier = createNotifier({
      url: ntfy.topicUrl('acme-print-floor'),
      token: TOKEN,
      logger: silentLogger,
    })

    await assert.rejects(notifier.send(qcFailed), (error: unknown) => {
      assert.ok(error instanceof PushDeliveryError)
      assert.match(error.message, /500/)
      assert.match(error.message, /storage full/)
      assert.ok(!error.message.includes(TOKEN), error.message)

      return true
    })
  })

  it('rejects when the server cannot be reached, naming the host', async () => {
    const notifier = createNotifier({
      url: 'http://127.0.0.1:1/acme-print-floor',
      token: TOKEN,
      logger: silentLogger,
    })

    await assert.rejects(notifier.send(qcFailed), (error: unknown) => {
      assert.ok(error instanceof PushDeliveryError)
      assert.match(error.message, /127\.0\.0\.1:1\b/)
      assert.ok(!error.message.includes('acme-print-floor'), error.message)

      return true
    })
  })
})

describe('the log driver', () => {
  it('logs the notification instead of sending it', async () => {
    const fetch = mock.method(globalThis, 'fetch')
    const logged: [object, string][] = []
    const notifier = createNotifier({
      logger: { info: (obj, msg) => logged.push([obj, msg]) },
    })
    try {
      await notifier.send(qcFailed)
    } finally {
      fetch.mock.restore()
    }

    assert.equal(notifier.driver, 'log')
    assert.equal(fetch.mock.callCount(), 0)
    assert.deepEqual(logged, [
      [
        {
          push: {
            title: 'QC failed: WO-1042',
            priority: 'urgent',
            tags: ['rotating_light', 'qc'],
          },
        },
        'push notification (log driver, PUSH_NTFY_URL unset)',
      ],
    ])
  })
})
