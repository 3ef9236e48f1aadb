/**
 * Gives a generated request the credentials its door asks for: the right
 * ones (signed over whatever body and address the request has), wrong ones
 * (near misses, other secrets, the right value in the wrong place), or
 * none at all.
 */
import { createHash, createHmac } from 'node:crypto'
import fc from 'fast-check'
import twilio from 'twilio'
import type { Door } from '../../src/doors/door.js'
import { anyBit, flipTextBit } from './bit-flips.js'
import { headerText, type DoorRequest } from './malformed-requests.js'

/** The secrets a fuzzed service is configured with; unset ones are off. */
export interface FuzzSecrets {
  /** WEBHOOK_SECRET. */
  webhookSecret?: string
  /** TWILIO_AUTH_TOKEN. */
  twilioToken?: string
  /** PRINTBRAIN_WEBHOOK_SECRET and PRESSOS_PRICING_HMAC_SECRET alike. */
  signingSecret?: string
  /** INVOICE_WORKFLOW_API_KEY. */
  apiKey?: string
}

/** What credentials a request carries. */
export type Credentials = 'valid' | 'wrong' | 'missing'

/** The host requests are sent to, which Twilio signs. */
export const FUZZ_HOST = 'shop.local:3000'

const TRUSTED_ADDRESSES = ['127.0.0.1', '::1', '10.20.30.40', '192.168.1.9']

const UNTRUSTED_ADDRESSES = [
  '203.0.113.9',
  '198.51.100.23',
  '8.8.4.4',
  '2001:db8::7',
  '::ffff:203.0.113.9',
]

/** The environment that sets `secrets`. */
export function secretsEnv(secrets: FuzzSecrets): Record<string, string> {
  const env: Record<string, string | undefined> = {
    WEBHOOK_SECRET: secrets.webhookSecret,
    TWILIO_AUTH_TOKEN: secrets.twilioToken,
    PRINTBRAIN_WEBHOOK_SECRET: secrets.signingSecret,
    PRESSOS_PRICING_HMAC_SECRET: secrets.signingSecret,
    INVOICE_WORKFLOW_API_KEY: secrets.apiKey,
  }

  return Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined),
  ) as Record<string, string>
}

/**
 * Whether a request to `door` can lack credentials under `secrets`: false
 * for open doors, and for signed doors whose secret is unset (they are
 * unsigned, and anyone may use them).
 */
export function checksCallers(door: Door, secrets: FuzzSecrets): boolean {
  switch (door.security.scheme) {
    case 'none':
      return false
    case 'hmac-signature':
      return secrets.signingSecret !== undefined
    default:
      return true
  }
}

/** Every value the service accepts as a credential under `secrets`. */
function acceptedValues(secrets: FuzzSecrets): string[] {
  return Object.values(secrets).filter((v): v is string => v !== undefined)
}

/** A value close to one of `accepted`, or nothing like it; never one. */
function wrongValue(accepted: string[]): fc.Arbitrary<string> {
  const near = fc
    .tuple(fc.constantFrom(...accepted, 'secret'), anyBit(64))
    .map(([value, bit]) => flipTextBit(value, bit))

  return fc
    .oneof(
      near,
      headerText,
      fc.constantFrom(...accepted, 'x').map((v) => v + v),
      fc.constantFrom(...accepted, 'x').map((v) => `${v},${v}`),
      fc.constantFrom(...accepted, 'x').map((v) => v.slice(0, -1)),
    )
    .filter((value) => !accepted.includes(value))
}

/** `requests` given `credentials` for `door` under `secrets`. */
export function withCredentials(
  requests: fc.Arbitrary<DoorRequest>,
  door: Door,
  secrets: FuzzSecrets,
  credentials: Credentials,
): fc.Arbitrary<DoorRequest> {
  const accepted = acceptedValues(secrets)
  const wrong = wrongValue(accepted.length > 0 ? accepted : ['secret'])
  const address = fc.constantFrom(
    ...(credentials === 'valid' ? TRUSTED_ADDRESSES : UNTRUSTED_ADDRESSES),
  )

  return fc
    .record({ request: requests, wrong, address, key: idempotencyKey })
    .map(({ request, wrong, address, key }) => {
      const keyed = withIdempotencyKey(request, door, key)
      const bare = withoutCredentials(keyed)

      return credentialed(bare, door, secrets, credentials, wrong, address)
    })
}

const CREDENTIAL_HEADERS = [
  'x-webhook-secret',
  'x-twilio-signature',
  'x-signature',
  'x-printbrain-signature',
  'x-pressos-signature',
  'x-pressos-key',
]

// The generated headers may carry credential headers of their own; the
// credentials step decides what they hold.
function withoutCredentials(request: DoorRequest): DoorRequest {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(
      ([name]) => !CREDENTIAL_HEADERS.includes(name),
    ),
  )

  return { ...request, headers }
}

const idempotencyKey = fc.oneof(
  { weight: 6, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: headerText },
)

function withIdempotencyKey(
  request: DoorRequest,
  door: Door,
  key: string,
): DoorRequest {
  if (door.idempotencyKey !== 'required') return request
  if ('idempotency-key' in request.headers) return request

  return { ...request, headers: { ...request.headers, 'idempotency-key': key } }
}

function credentialed(
  request: DoorRequest,
  door: Door,
  secrets: FuzzSecrets,
  credentials: Credentials,
  wrong: string,
  address: string,
): DoorRequest {
  const valid = credentials === 'valid'
  const header = (name: string, value: string | undefined) =>
    value === undefined || credentials === 'missing'
      ? request
      : { ...request, headers: { ...request.headers, [name]: value } }

  switch (door.security.scheme) {
    case 'none':
      return request
    case 'trusted-network':
      return { ...request, remoteAddress: address }
    case 'api-key':
      if (secrets.apiKey === undefined) {
        return { ...request, remoteAddress: address }
      }

      return header('x-pressos-key', valid ? secrets.apiKey : wrong)
    case 'shared-secret':
      return header('x-webhook-secret', valid ? secrets.webhookSecret : wrong)
    case 'hmac-signature':
      return signBody(request, door, secrets, credentials, wrong)
    case 'twilio-signature':
      return signForTwilio(request, secrets, credentials, wrong)
  }
}

function signBody(
  request: DoorRequest,
  door: Door,
  secrets: FuzzSecrets,
  credentials: Credentials,
  wrong: string,
): DoorRequest {
  const name = door.security.signatureHeaders?.[0] ?? 'x-signature'
  if (credentials === 'missing') return request

  const body = request.body ?? Buffer.alloc(0)
  const signature =
    credentials === 'valid'
      ? bodySignature(body, secrets.signingSecret ?? '')
      : wrongSignature(body, wrong)

  return {
    ...request,
    headers: { ...request.headers, [name.toLowerCase()]: signature },
  }
}

/** `sha256=` and the hex HMAC-SHA256 of `body` under `secret`. */
export function bodySignature(body: Buffer, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')
}

// Signed with a wrong secret, or the right form around the wrong bytes.
function wrongSignature(body: Buffer, wrong: string): string {
  const variants = [
    bodySignature(body, wrong),
    bodySignature(Buffer.concat([body, Buffer.from(' ')]), wrong),
    wrong,
    'sha256=' + createHash('sha256').update(body).digest('hex'),
  ]

  return variants[wrong.length % variants.length]!
}

function signForTwilio(
  request: DoorRequest,
  secrets: FuzzSecrets,
  credentials: Credentials,
  wrong: string,
): DoorRequest {
  const host =
    typeof request.headers.host === 'string' ? request.headers.host : FUZZ_HOST
  const signed = isJson(request) ? withBodyHash(request) : request
  if (credentials === 'missing') {
    return { ...signed, headers: { ...signed.headers, host } }
  }

  const token = credentials === 'valid' ? (secrets.twilioToken ?? '') : wrong
  const url = `http://${host}${signed.url}`
  const params = isJson(request) ? {} : formParamsOf(request.body)

  return {
    ...signed,
    headers: {
      ...signed.headers,
      host,
      'x-twilio-signature': twilioSignature(token, url, params),
    },
  }
}

/** Twilio's signature of `url` and `params` with `token`, by its helper. */
export function twilioSignature(
  token: string,
  url: string,
  params: Record<string, string | string[]>,
): string {
  try {
    return twilio.getExpectedTwilioSignature(token, url, params)
  } catch {
    // The helper refuses what it cannot encode; Twilio would never send it.
    return 'unsignable'
  }
}

function isJson(request: DoorRequest): boolean {
  const type = request.headers['content-type']

  return typeof type === 'string' && /json/i.test(type)
}

// A JSON callback carries the hash of its body in the signed URL.
function withBodyHash(request: DoorRequest): DoorRequest {
  const body = request.body ?? Buffer.alloc(0)
  const hash = createHash('sha256').update(body).digest('hex')
  const separator = request.url.includes('?') ? '&' : '?'

  return { ...request, url: `${request.url}${separator}bodySHA256=${hash}` }
}

/** The parameters of a form body, every value of a repeated name kept. */
export function formParamsOf(
  body: Buffer | undefined,
): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {}
  for (const [name, value] of new URLSearchParams(body?.toString('utf8'))) {
    const earlier = params[name]
    params[name] = earlier === undefined ? value : [earlier, value].flat()
  }

  return params
}
