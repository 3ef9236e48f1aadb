/**
 * A real HTTPS server standing in for a browser's push service. It makes
 * subscriptions as a browser would (a P-256 key pair and an auth secret of
 * its own), decrypts what it is sent with those keys, checks the VAPID
 * signature, and answers with the statuses a test scripts.
 *
 * It speaks HTTPS because the web-push package sends over TLS whatever the
 * endpoint's scheme says; its certificate, made for 127.0.0.1 only, is
 * trusted in this process while the receiver runs.
 */
import {
  createECDH,
  createPublicKey,
  randomBytes,
  verify,
  type ECDH,
} from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import https from 'node:https'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'

/** The part of the http_ece package the receiver uses; it has no types. */
interface EncryptedContentCoding {
  decrypt(
    body: Buffer,
    params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: Buffer },
  ): Buffer
}

const ece = createRequire(import.meta.url)('http_ece') as EncryptedContentCoding

/** A subscription as a browser's `PushSubscription.toJSON()` gives it. */
export interface BrowserSubscription {
  endpoint: string
  keys: { p256dh: string; auth: string }
}

/** The `Authorization: vapid t=..., k=...` header of a push. */
export interface VapidHeader {
  /** The signed JWT. */
  t: string
  /** The sender's public key, base64url. */
  k: string
  /** The JWT's claims: `aud`, `exp` (seconds since 1970) and `sub`. */
  claims: Record<string, unknown>
  /** Whether the JWT's ES256 signature checks out against `k`. */
  signatureValid: boolean
}

/** One push the receiver got. */
export interface ReceivedWebPush {
  /** The `<id>` of the endpoint `/push/<id>`. */
  subscriptionId: string
  headers: IncomingHttpHeaders
  /** The TTL header, in seconds. */
  ttl: number
  urgency: string | undefined
  vapid: VapidHeader | undefined
  /** Size of the encrypted body, in bytes. */
  bodyBytes: number
  /** The decrypted body; undefined when it did not decrypt. */
  text: string | undefined
  status: number
}

interface Browser {
  ecdh: ECDH
  authSecret: Buffer
}

const VAPID_HEADER = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+),\s*k=([\w-]+)$/

export class WebPushReceiver {
  readonly received: ReceivedWebPush[] = []
  private readonly browsers = new Map<string, Browser>()
  private readonly answers = new Map<string, number[]>()
  private readonly server = https.createServer(
    { key: PRIVATE_KEY, cert: CERTIFICATE },
    (request, response) => {
      void this.receive(request).then((status) => {
        response.statusCode = status
        response.end(status >= 400 ? `push service says ${status}` : '')
      })
    },
  )
  private previousAgent: https.Agent | undefined
  private first: BrowserSubscription | undefined

  /** Starts listening on 127.0.0.1 and makes the first subscription. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server.listen(0, '127.0.0.1', resolve),
    )
    this.trustCertificate()
    this.first = this.subscribe()
  }

  async stop(): Promise<void> {
    if (this.previousAgent) https.globalAgent = this.previousAgent
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  /** The subscription `start` made. */
  get subscription(): BrowserSubscription {
    if (!this.first) throw new Error('start the receiver first')

    return this.first
  }

  /** A new subscription, as another browser would make it. */
  subscribe(): BrowserSubscription {
    const id = randomBytes(8).toString('hex')
    const ecdh = createECDH('prime256v1')
    ecdh.generateKeys()
    const authSecret = randomBytes(16)
    this.browsers.set(id, { ecdh, authSecret })
    const { port } = this.server.address() as AddressInfo

    return {
      endpoint: `https://127.0.0.1:${port}/push/${id}`,
      keys: {
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: authSecret.toString('base64url'),
      },
    }
  }

  /** Answers the next pushes to `endpoint` with `statuses`, then 201. */
  answerWith(endpoint: string, ...statuses: number[]): void {
    this.answers.set(idOf(endpoint), statuses)
  }

  /** The decrypted bodies so far, parsed as JSON. */
  payloads(): unknown[] {
    return this.received.map((push) => JSON.parse(push.text ?? 'null'))
  }

  private async receive(request: IncomingMessage): Promise<number> {
    const body = await readBody(request)
    const subscriptionId = idOf(request.url ?? '')
    const browser = this.browsers.get(subscriptionId)
    const status = browser ? this.nextStatus(subscriptionId) : 404
    this.received.push({
      subscriptionId,
      headers: request.headers,
      ttl: Number(request.headers.ttl),
      urgency: request.headers.urgency as string | undefined,
      vapid: readVapid(request.headers.authorization),
      bodyBytes: body.length,
      text: browser ? decryptBody(body, browser) : undefined,
      status,
    })

    return status
  }

  private nextStatus(subscriptionId: string): number {
    return this.answers.get(subscriptionId)?.shift() ?? 201
  }

  // web-push makes its requests with node:https and the global agent, so
  // trusting the certificate there reaches it without touching the code.
  private trustCertificate(): void {
    this.previousAgent = https.globalAgent
    https.globalAgent = new https.Agent({ ca: CERTIFICATE, keepAlive: false })
  }
}

function idOf(endpointOrPath: string): string {
  return endpointOrPath.split('/push/')[1] ?? ''
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)

  return Buffer.concat(chunks)
}

function decryptBody(body: Buffer, browser: Browser): string | undefined {
  try {
    const plain = ece.decrypt(body, {
      version: 'aes128gcm',
      privateKey: browser.ecdh,
      authSecret: browser.authSecret,
    })

    return plain.toString('utf8')
  } catch {
    return undefined
  }
}

function readVapid(header: string | undefined): VapidHeader | undefined {
  const match = VAPID_HEADER.exec(header ?? '')
  if (!match) return undefined

  const [, t = '', k = ''] = match
  const [head = '', claims = '', signature = ''] = t.split('.')

  return {
    t,
    k,
    claims: JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')),
    signatureValid: verify(
      'sha256',
      Buffer.from(`${head}.${claims}`),
      { key: publicKeyOf(k), dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    ),
  }
}

/** The key object of an uncompressed P-256 point, given in base64url. */
function publicKeyOf(point: string) {
  const bytes = Buffer.from(point, 'base64url')

  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: bytes.subarray(1, 33).toString('base64url'),
      y: bytes.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  })
}

// A self-signed certificate for IP 127.0.0.1, valid until 2126, made for
// these tests alone; its key protects nothing else.
const PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgRafmN8bh5IgIb7/4
+hcvF5Zv+c+7xHvhWo2kQTBrXdKhRANCAAQIxejBXLGwm1yERRQKyqe4b6/x1Pki
4FbUP6GSMLijG548809sGNTF5Ki6wROTf7opgaED8jw4onlrMiJkup6s
-----END PRIVATE KEY-----
`

const CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBvjCCAWSgAwIBAgIURoJkAVkQcauMJRT0AlXIEyySKx8wCgYIKoZIzj0EAwIw
KzEpMCcGA1UEAwwgMTI3LjAuMC4xIHB1c2ggc2VydmljZSBmb3IgdGVzdHMwIBcN
MjYxMjAzMTk0NDQ5WhgPMjEyNjExMDkxOTQ0NDlaMCsxKTAnBgNVBAMMIDEyNy4w
LjAuMSBwdXNoIHNlcnZpY2UgZm9yIHRlc3RzMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAECMXowVyxsJtchEUUCsqnuG+v8dT5IuBW1D+hkjC4oxuePPNPbBjUxeSo
usETk3+6KYGhA/I8OKJ5azIiZLqerKNkMGIwHQYDVR0OBBYEFOP13QeYaIfT4F1y
wNNBnF072VeKMB8GA1UdIwQYMBaAFOP13QeYaIfT4F1ywNNBnF072VeKMA8GA1Ud
EwEB/wQFMAMBAf8wDwYDVR0RBAgwBocEfwAAATAKBggqhkjOPQQDAgNIADBFAiAW
eik3HUAXsm9+Fg3ctaVV1FMgvqxXaktLD9o4j9locwIhAJkyHxe3fgjbZBWeANTQ
YKE0JRyRB6MnQiDLtoBKrpP7
-----END CERTIFICATE-----
`
