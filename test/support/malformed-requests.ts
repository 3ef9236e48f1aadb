/**
 * Requests a careless or hostile caller might send a door, as fast-check
 * generators: every method, odd content types and charsets, bodies that are
 * broken JSON, bad UTF-8, gzip bytes, empty or far too large, the door's own
 * example body with its fields swapped for the wrong types, duplicated and
 * empty headers, garbage in the path and the query. They are built from the
 * door's declaration and its example body, so a door added to the registry
 * is covered as soon as it is listed.
 */
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import type { HTTPMethods } from 'fastify'
import {
  exampleJsonBody,
  exampleTwilioParams,
} from '../../src/console/example-bodies.js'
import type { Door } from '../../src/doors/door.js'
import type { PriceList } from '../../src/pricing/price-list.js'
import type { TestService } from './test-service.js'

/** One request to a door, as `app.inject` takes it. */
export interface DoorRequest {
  method: HTTPMethods
  /** Path and query. */
  url: string
  headers: Record<string, string | string[]>
  body: Buffer | undefined
  remoteAddress: string
}

/** Sends `request` to the in-process server of `t`. */
export function sendDoorRequest(t: TestService, request: DoorRequest) {
  return t.service.app.inject({
    method: request.method,
    url: request.url,
    headers: request.headers,
    remoteAddress: request.remoteAddress,
    ...(request.body === undefined ? {} : { payload: request.body }),
  })
}

/** What the generators need to know beside the door. */
export interface RequestShape {
  priceList: PriceList
  /** The server's MAX_BODY_BYTES, so that some bodies go past it. */
  maxBodyBytes: number
}

const FORM = 'application/x-www-form-urlencoded'
const JSON_TYPE = 'application/json'

/** Requests to `door`, malformed in every way at once or one at a time. */
export function doorRequest(
  door: Door,
  shape: RequestShape,
): fc.Arbitrary<DoorRequest> {
  return fc
    .record({
      method: methodFor(door),
      url: urlFor(door),
      typedBody: typedBodyFor(door, shape),
      headers: oddHeaders(),
    })
    .map(({ method, url, typedBody, headers }) => ({
      method,
      url,
      headers: withContentType(headers, typedBody.contentType),
      body: typedBody.body,
      remoteAddress: '127.0.0.1',
      [fc.toStringMethod]: describeThisRequest,
    }))
}

/**
 * How a request is printed in a counterexample, as its
 * `[fc.toStringMethod]`: long values are cut short.
 */
export function describeThisRequest(this: DoorRequest): string {
  const headers = Object.entries(this.headers).map(
    ([name, value]) => `${name}: ${shortened(JSON.stringify(value))}`,
  )
  const body =
    this.body === undefined
      ? 'no body'
      : `${this.body.length} bytes ` +
        shortened(JSON.stringify(this.body.toString('latin1')))

  return (
    `${this.method} ${shortened(this.url)} from ${this.remoteAddress} ` +
    `{ ${headers.join('; ')} } ${body}`
  )
}

function shortened(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...(${text.length})` : text
}

function withContentType(
  headers: Record<string, string | string[]>,
  contentType: string | undefined,
): Record<string, string | string[]> {
  if (contentType === undefined) return headers

  return { ...headers, 'content-type': contentType }
}

/** Mostly the door's own methods; sometimes any other. */
function methodFor(door: Door): fc.Arbitrary<HTTPMethods> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...door.methods) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<HTTPMethods>(
        'GET',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
        'HEAD',
        'OPTIONS',
      ),
    },
  )
}

// ---- the address -------------------------------------------------------

const pathSegment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('1', '2') },
  fc.constantFrom(
    '1',
    '0',
    '-1',
    '007',
    '1.5',
    '1e3',
    '9007199254740993',
    '999999999999999999999',
    '1'.repeat(120),
    '%00',
    '%ZZ',
    '%C3%28',
    '%E2%80%AE',
    '..',
    '%2e%2e',
    '%2F',
    'null',
    '',
  ),
  fc.stringMatching(/^\d{1,20}$/),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
)

const queryName = fc.oneof(
  fc.constantFrom(
    'limit',
    'offset',
    'days',
    'status',
    'workspace',
    'expires',
    'signature',
    'bodySHA256',
    '__proto__',
    'limit[]',
  ),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
)

const queryValue = fc.oneof(
  fc.constantFrom(
    '',
    '1',
    '0',
    '-1',
    '201',
    '1e2',
    '0x10',
    '+1',
    '%201',
    'NaN',
    'Infinity',
    'seen',
    'new',
    '%00',
    '%ZZ',
    '%FF%FE',
    '9'.repeat(400),
  ),
  fc.string({ maxLength: 16 }).map(encodeURIComponent),
)

const query = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(queryName, queryValue), { minLength: 1, maxLength: 4 })
      .map((pairs) => '?' + pairs.map(([n, v]) => `${n}=${v}`).join('&')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('?', '?&&', '?=', '?%', '?a[b]=1', '?#x'),
  },
)

/** The door's path with its parameters filled in oddly, and a query. */
function urlFor(door: Door): fc.Arbitrary<string> {
  const parts = door.path.split(/(:\w+|\*)/)
  const filled = parts.map((part) => {
    if (part === '*') {
      return fc
        .array(pathSegment, { minLength: 0, maxLength: 3 })
        .map((segments) => segments.join('/'))
    }
    if (part.startsWith(':')) return pathSegment

    return fc.constant(part)
  })

  return fc
    .tuple(fc.tuple(...filled), query)
    .map(([pieces, search]) => pieces.join('') + search)
}

// ---- headers -----------------------------------------------------------

/** Strings of the characters `min` to `max`, at most `maxLength` long. */
export const charRange = (min: number, max: number, maxLength: number) =>
  fc.string({
    unit: fc.integer({ min, max }).map((c) => String.fromCharCode(c)),
    maxLength,
  })

/** Header text as Node passes it on: printable ASCII and Latin-1 bytes. */
export const headerText = fc.oneof(
  { weight: 3, arbitrary: charRange(0x20, 0x7e, 40) },
  { weight: 1, arbitrary: charRange(0x80, 0xff, 8) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'gzip',
      'br',
      'deflate',
      'identity',
      'gzip, deflate',
      'HMAC_SHA256',
      'HMAC_SHA1',
      'HMAC_MD5',
      'sha256=',
      'sha256=' + '0'.repeat(64),
      'Bearer x',
      '127.0.0.1',
      '::1, 127.0.0.1',
      'https',
      '443',
      '99999',
      'null',
      '[object Object]',
      '*/*',
      'x'.repeat(8000),
    ),
  },
)

const headerName = fc.constantFrom(
  'content-encoding',
  'accept',
  'accept-charset',
  'user-agent',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-request-id',
  'cookie',
  'authorization',
  'origin',
  'host',
  'x-webhook-secret',
  'x-twilio-signature',
  'x-twilio-webhooks-signature-settings',
  'x-signature',
  'x-printbrain-signature',
  'x-pressos-signature',
  'x-pressos-key',
  'idempotency-key',
)

/** Extra headers, some of them sent more than once. */
function oddHeaders(): fc.Arbitrary<Record<string, string | string[]>> {
  const value = fc.oneof(
    { weight: 4, arbitrary: headerText },
    {
      weight: 1,
      arbitrary: fc.array(headerText, { minLength: 2, maxLength: 3 }),
    },
  )

  return fc.dictionary(headerName, value, { maxKeys: 4 })
}

// ---- bodies ------------------------------------------------------------

interface TypedBody {
  contentType: string | undefined
  body: Buffer | undefined
}

/** A body and the content type it is sent with. */
function typedBodyFor(
  door: Door,
  shape: RequestShape,
): fc.Arbitrary<TypedBody> {
  const accepts = door.accepts ?? []
  const json = jsonTextFor(door, shape)
  const form = formTextFor(door)
  const choices: fc.WeightedArbitrary<TypedBody>[] = [
    { weight: 2, arbitrary: anyTypedBody(json, shape) },
    {
      weight: 1,
      arbitrary: fc.constant({ contentType: undefined, body: undefined }),
    },
  ]
  if (accepts.includes(JSON_TYPE) || accepts.length === 0) {
    choices.push({ weight: 5, arbitrary: typed(jsonTypes, encodedJson(json)) })
  }
  if (accepts.includes(FORM)) {
    choices.push({ weight: 5, arbitrary: typed(formTypes, form) })
  }

  return fc.oneof(...choices)
}

function typed(
  contentType: fc.Arbitrary<string>,
  body: fc.Arbitrary<Buffer>,
): fc.Arbitrary<TypedBody> {
  return fc.record({ contentType, body })
}

const jsonTypes = fc.constantFrom(
  JSON_TYPE,
  JSON_TYPE,
  JSON_TYPE,
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json;charset="UTF-8"',
  'APPLICATION/JSON',
  'application/json ; charset=utf-8',
  'application/cloudevents+json',
  'application/problem+json',
)

const formTypes = fc.constantFrom(
  FORM,
  FORM,
  FORM,
  `${FORM}; charset=utf-8`,
  `${FORM}; charset=iso-8859-1`,
  'APPLICATION/X-WWW-FORM-URLENCODED',
)

const oddTypes = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'text/xml',
    'application/xml',
    'multipart/form-data; boundary=x',
    'multipart/form-data',
    'application/octet-stream',
    'application/gzip',
    'application/json, text/plain',
    '',
    ';',
    'application/',
    '/',
    'json',
    '*/*',
    'application/json\u00e9',
  ),
  headerText,
)

/** Anything as a body, with any content type. */
function anyTypedBody(
  json: fc.Arbitrary<string>,
  shape: RequestShape,
): fc.Arbitrary<TypedBody> {
  const body = fc.oneof(
    encodedJson(json),
    fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
    gzipLooking,
    oversized(shape.maxBodyBytes),
  )

  return fc.record({
    contentType: fc.oneof(jsonTypes, formTypes, oddTypes),
    body,
  })
}

/** Bytes that start like gzip, and real gzip of JSON. */
const gzipLooking = fc.oneof(
  fc
    .uint8Array({ maxLength: 64 })
    .map((rest) => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0]), rest])),
  fc.constant(gzipSync(Buffer.from('{"event_type":"lead.new_inquiry"}'))),
)

/** Bodies just past the server's size limit, or far past it. */
function oversized(maxBodyBytes: number): fc.Arbitrary<Buffer> {
  return fc
    .constantFrom(1, 1024, maxBodyBytes)
    .map((extra) => Buffer.alloc(maxBodyBytes + extra, '{'))
}

/** JSON text turned into bytes the way a confused sender might. */
function encodedJson(text: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(text, fc.nat(), fc.nat())
    .chain(([json, at, byte]) =>
      fc.oneof(
        { weight: 8, arbitrary: fc.constant(Buffer.from(json, 'utf8')) },
        ...[
          Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]),
          Buffer.from(json, 'utf16le'),
          Buffer.from(json, 'latin1'),
          gzipSync(Buffer.from(json)),
          Buffer.from(json).subarray(0, at % (json.length + 1)),
          withBadUtf8(Buffer.from(json), at, byte),
        ].map((bytes) => ({ weight: 1, arbitrary: fc.constant(bytes) })),
      ),
    )
}

// Sequences no UTF-8 decoder accepts: a lone continuation byte, a cut
// two-byte start, an overlong slash, a surrogate half, bytes never used.
const BAD_UTF8 = [
  [0x80],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xff],
  [0xfe, 0xfe],
  [0xf4, 0x90, 0x80, 0x80],
]

function withBadUtf8(bytes: Buffer, at: number, which: number): Buffer {
  const cut = at % (bytes.length + 1)
  const bad = Buffer.from(BAD_UTF8[which % BAD_UTF8.length]!)

  return Buffer.concat([bytes.subarray(0, cut), bad, bytes.subarray(cut)])
}

// Number tokens JSON.stringify never writes, put in place of a marker.
const RAW_NUMBERS = [
  '1e999',
  '-1e999',
  '-0',
  '123456789012345678901234567890',
  '0.1e-400',
  '1E400',
  '9007199254740993',
]
const RAW_MARK = /"\\u0000raw(\d)"/g

function rawNumberMarker(index: number): string {
  return `\u0000raw${index}`
}

function withRawNumbers(json: string): string {
  return json.replace(RAW_MARK, (_, i: string) => RAW_NUMBERS[Number(i)]!)
}

/** Text that tends to break what reads it. */
export const oddText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t\n',
      '\u0000',
      'a\u0000b',
      '\ud800',
      'x\udc00',
      '\ufeff',
      '\u202e',
      '💥',
      'null',
      'true',
      '0',
      '-1',
      '1.5',
      'NaN',
      '2026-02-30T25:61:00Z',
      '9999-12-31T23:59:59+14:00',
      '2026-03-02T15:04:00.1234567891Z',
      '+275760-09-13T00:00:00Z',
      '<script>alert(1)</script>',
      "'; drop table inbox_items; --",
      '{{data.body}}',
      '${HOME}',
      '../../etc/passwd',
      '%00',
      'https://push.example.net/send/abc',
      'http://127.0.0.1:5432/',
      'x'.repeat(300),
      'é'.repeat(70_000),
    ),
  },
)

/** A JSON value of any type, often one a door does not expect. */
export const oddJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      oddText,
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53, 1e308, -1e-7),
      fc.integer({ min: 0, max: RAW_NUMBERS.length - 1 }).map(rawNumberMarker),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(oddText, tie('value'), { maxKeys: 3 }),
    ),
  }),
).value

/** JSON text for `door`: its example, mutated, and much that is not. */
function jsonTextFor(door: Door, shape: RequestShape): fc.Arbitrary<string> {
  const example = exampleOf(door, shape)
  const fields = fieldNamesOf(example)

  return fc.oneof(
    { weight: 6, arbitrary: mutated(example).map(stringifyRaw) },
    {
      weight: 2,
      arbitrary: fc
        .dictionary(fc.oneof(fc.constantFrom(...fields), oddText), oddJson, {
          maxKeys: 6,
        })
        .map(stringifyRaw),
    },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: brokenJson },
  )
}

function stringifyRaw(value: unknown): string {
  return withRawNumbers(JSON.stringify(value) ?? 'null')
}

const brokenJson = fc.constantFrom(
  '',
  ' ',
  'null',
  '[]',
  '"text"',
  '0',
  '{',
  '}',
  '{}',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '['.repeat(20_000),
  '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
  '{} {}',
  '{}x',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"\\u0000":1}',
  "{'a':1}",
  '{"a":01}',
  '{"a":.5}',
  '{"a":NaN}',
)

/** The door's example body, or an empty object for doors that show none. */
function exampleOf(door: Door, shape: RequestShape): unknown {
  const json = exampleJsonBody(door.id, shape.priceList)
  if (json !== undefined) return JSON.parse(json)

  return exampleTwilioParams(door.id) ?? {}
}

function fieldNamesOf(value: unknown): string[] {
  const names = new Set<string>(['id', 'data', 'status'])
  const visit = (item: unknown) => {
    if (item === null || typeof item !== 'object') return
    for (const [key, inner] of Object.entries(item)) {
      if (!Array.isArray(item)) names.add(key)
      visit(inner)
    }
  }
  visit(value)

  return [...names]
}

type Edit = [at: number, kind: 'swap' | 'drop' | 'wrap', value: unknown]

/** `example` with a few of its values swapped, dropped or wrapped. */
function mutated(example: unknown): fc.Arbitrary<unknown> {
  const edit = fc.tuple(
    fc.nat(),
    fc.constantFrom<Edit[1]>('swap', 'swap', 'drop', 'wrap'),
    oddJson,
  )

  return fc
    .array(edit, { maxLength: 4 })
    .map((edits) => edits.reduce(applyEdit, structuredClone(example)))
}

function applyEdit(value: unknown, [at, kind, replacement]: Edit): unknown {
  const slots = slotsOf(value)
  if (slots.length === 0) return value

  const [holder, key] = slots[at % slots.length]!
  if (kind === 'drop' && !Array.isArray(holder)) delete holder[key]
  else if (kind === 'wrap') holder[key] = [holder[key]]
  else holder[key] = replacement

  return value
}

type Slot = [holder: Record<string, unknown>, key: string]

/** Every place in `value` that holds a value, depth first. */
function slotsOf(value: unknown): Slot[] {
  if (value === null || typeof value !== 'object') return []

  const holder = value as Record<string, unknown>

  return Object.keys(holder).flatMap((key): Slot[] => [
    [holder, key],
    ...slotsOf(holder[key]),
  ])
}

/** Form bodies: the door's example parameters, mutated, and garbage. */
function formTextFor(door: Door): fc.Arbitrary<Buffer> {
  const params = exampleTwilioParams(door.id) ?? { a: 'b' }
  const names = Object.keys(params)
  const edit = fc.tuple(
    fc.oneof(fc.constantFrom(...names, 'NumMedia', 'MediaUrl0'), oddText),
    fc.option(oddText),
  )
  const edited = fc.array(edit, { maxLength: 4 }).map((edits) => {
    const form = new URLSearchParams(params)
    for (const [name, value] of edits) {
      if (value === null) form.delete(name)
      else form.append(name, value)
    }

    return Buffer.from(form.toString())
  })

  return fc.oneof(
    { weight: 4, arbitrary: edited },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '',
          '=',
          '&&&',
          '%',
          '%ZZ=1',
          'Body=%FF%FE',
          'Body=%00',
          'Body=%C3%28',
          'NumMedia=99',
          'NumMedia=1',
          'NumMedia=-1&NumMedia=2',
          'a'.repeat(5000),
        )
        .map((text) => {
          const base = new URLSearchParams(params).toString()

          return Buffer.from(text === '' ? '' : `${base}&${text}`)
        }),
    },
  )
}
