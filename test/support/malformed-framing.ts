/**
 * Raw HTTP/1.1 requests with broken framing, as fast-check generators:
 * bad request lines, bare line feeds, folded, colon-less and oversized
 * headers, Content-Length and Transfer-Encoding that disagree, broken
 * chunks, bodies cut short, and raw Latin-1 or NUL bytes where the parser
 * meets them. Each targets one door of the registry.
 */
import fc from 'fast-check'
import type { Door } from '../../src/doors/door.js'
import { charRange } from './malformed-requests.js'

/** A raw request and the door it is aimed at. */
export interface RawRequest {
  door: Door
  bytes: Buffer
  /** Whether it carries the events door's right secret. */
  authenticated: boolean
}

type Header = [name: string, value: string]

/** A path of `door` with its parameters filled in plainly. */
function plainPath(door: Door): string {
  return door.path.replace(/:\w+/g, '1').replace('*', 'a.pdf')
}

/**
 * Raw requests aimed at one of `doors`; some carry `secret` in
 * X-Webhook-Secret, when it is given.
 */
export function rawRequest(
  doors: readonly Door[],
  secret?: string,
): fc.Arbitrary<RawRequest> {
  return fc
    .record({
      door: fc.constantFrom(...doors),
      method: mostly('', 'POST', 'GET', 'PATCH', 'FOO', 'get', 'G\0T', ''),
      target: mostly('path', 'absolute', 'odd'),
      version: mostly('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1', ''),
      eol: mostly('\r\n', '\n', '\r'),
      headers: fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        { weight: 2, arbitrary: fc.array(oddHeader, { maxLength: 3 }) },
      ),
      host: mostly(1, 0, 2),
      withSecret: secret === undefined ? fc.constant(false) : fc.boolean(),
      framing: fc.oneof(
        { weight: 3, arbitrary: fc.constant(honestLength) },
        { weight: 4, arbitrary: framing },
      ),
      body: body,
    })
    .map((parts) => {
      const method = parts.method || parts.door.methods[0]!
      const path = plainPath(parts.door)
      const target = {
        path,
        absolute: `http://shop.local:3000${path}`,
        odd: `${path}\u00ff?a=%ZZ#frag`,
      }[parts.target]
      const headers: Header[] = [
        ...Array.from({ length: parts.host }, (_, i): Header => [
          'Host',
          `shop${i}.local`,
        ]),
        ['Content-Type', 'application/json'],
        ...(parts.withSecret ? [['X-Webhook-Secret', secret!] as Header] : []),
        ...parts.headers,
      ]
      const framed = parts.framing(Buffer.from(parts.body, 'latin1'))
      const head =
        `${method} ${target} ${parts.version}`.trimEnd() +
        parts.eol +
        [...headers, ...framed.headers]
          .map(([n, v]) => `${n}: ${v}${parts.eol}`)
          .join('') +
        parts.eol

      return {
        door: parts.door,
        bytes: Buffer.concat([Buffer.from(head, 'latin1'), framed.body]),
        authenticated: parts.withSecret,
        [fc.toStringMethod]: describeThisRequest,
      }
    })
}

// Counterexamples are printed with this: the bytes, cut short.
function describeThisRequest(this: RawRequest): string {
  const text = JSON.stringify(this.bytes.toString('latin1'))
  const shown = text.length > 400 ? `${text.slice(0, 400)}...` : text

  return `${this.door.id}: ${shown}`
}

/** Usually `usual`; now and then one of `others`. */
function mostly<T>(usual: T, ...others: T[]): fc.Arbitrary<T> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  )
}

const oddHeader: fc.Arbitrary<Header> = fc.oneof(
  fc.constantFrom<Header>(
    ['X-Webhook-Secret', 'caf\u00e9-\u00ff'],
    ['X-Twilio-Signature', 'a\0b'],
    ['Idempotency-Key', '\u00e9'],
    ['Content-Type', 'text/plain'],
    ['Content-Type', 'application/json; charset=\u00ff'],
    ['Content-Encoding', 'gzip'],
    ['Expect', '100-continue'],
    ['Connection', 'close'],
    ['Connection', 'upgrade'],
    ['Upgrade', 'websocket'],
    ['X-Forwarded-For', '127.0.0.1'],
    ['Host ', 'spaced.local'],
    ['Bad Header', 'x'],
    ['', 'empty name'],
    ['X-Folded', 'first\r\n second'],
    ['X-Long', 'x'.repeat(20_000)],
  ),
  fc.tuple(
    fc.constantFrom('X-Odd', 'User-Agent', 'Accept'),
    charRange(0, 0xff, 20),
  ),
)

const body = fc.oneof(
  fc.constantFrom(
    '',
    '{}',
    '{"event_type":"lead.new_inquiry","event_id":"raw-1"}',
    '{"event_type":"caf\u00e9"}',
    '{"event_type":',
    '\u001f\u008b\u0008\u0000garbage',
  ),
  charRange(0, 0xff, 64),
)

interface Framed {
  headers: Header[]
  body: Buffer
}

type Framing = (body: Buffer) => Framed

const honestLength: Framing = (b) => ({
  headers: [['Content-Length', String(b.length)]],
  body: b,
})

/** How the body is framed, mostly in ways that do not add up. */
const framing: fc.Arbitrary<Framing> = fc.constantFrom(
  (b: Buffer) => ({
    headers: [['Content-Length', String(b.length + 10)]],
    body: b,
  }),
  (b: Buffer) => ({
    headers: [['Content-Length', String(Math.max(0, b.length - 1))]],
    body: b,
  }),
  (b: Buffer) => ({
    headers: [
      ['Content-Length', String(b.length)],
      ['Content-Length', String(b.length + 1)],
    ],
    body: b,
  }),
  (b: Buffer) => ({ headers: [['Content-Length', '-1']], body: b }),
  (b: Buffer) => ({
    headers: [['Content-Length', '99999999999999999999']],
    body: b,
  }),
  (b: Buffer) => ({ headers: [['Content-Length', `+${b.length}`]], body: b }),
  (b: Buffer) => ({ headers: [], body: b }),
  (b: Buffer) => ({
    headers: [['Transfer-Encoding', 'chunked']],
    body: chunked(b),
  }),
  (b: Buffer) => ({
    headers: [
      ['Transfer-Encoding', 'chunked'],
      ['Content-Length', String(b.length)],
    ],
    body: chunked(b),
  }),
  (b: Buffer) => ({
    headers: [['Transfer-Encoding', 'gzip, chunked']],
    body: chunked(b),
  }),
  (b: Buffer) => ({
    headers: [['Transfer-Encoding', 'chunked, identity']],
    body: chunked(b),
  }),
  (b: Buffer) => ({
    headers: [['Transfer-Encoding', 'chunked']],
    body: chunked(b).subarray(0, -5),
  }),
  (b: Buffer) => ({
    headers: [['Transfer-Encoding', 'chunked']],
    body: Buffer.concat([
      Buffer.from('zz\r\n'),
      b,
      Buffer.from('\r\n0\r\n\r\n'),
    ]),
  }),
  (b: Buffer) => ({
    headers: [['Transfer-Encoding', 'chunked']],
    body: Buffer.concat([
      Buffer.from(`${b.length.toString(16)};ext="\u00ff"\r\n`, 'latin1'),
      b,
      Buffer.from('\r\n0\r\nX-Trailer: 1\r\n\r\n'),
    ]),
  }),
)

function chunked(b: Buffer): Buffer {
  const size = Buffer.from(`${b.length.toString(16)}\r\n`)
  const chunk = b.length === 0 ? [] : [size, b, Buffer.from('\r\n')]

  return Buffer.concat([...chunk, Buffer.from('0\r\n\r\n')])
}
