/**
 * A request signed by its real sender and then changed by one bit, in its
 * body, its signature or (for Twilio, which signs it) its address, is
 * always refused and stores nothing; so is the events door's shared secret
 * with one bit changed. The untouched requests are accepted, which shows
 * the generators sign as the real senders do.
 *
 * Changes that leave the same signed message are not forgeries and are
 * left out: Twilio signs the decoded form parameters, not their bytes
 * (`%2B` and `%2b` are one parameter), host names and the hex digits of a
 * `sha256=` signature are read without regard to case.
 */
import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import {
  exampleJsonBody,
  exampleTwilioParams,
} from '../src/console/example-bodies.js'
import type { Door } from '../src/doors/door.js'
import { DOORS } from '../src/doors/registry.js'
import { loadPriceList, type PriceList } from '../src/pricing/price-list.js'
import { assertWellAnswered } from './support/answer-checks.js'
import {
  anyBit,
  differInCaseOnly,
  flipBufferBit,
  flipTextBit,
} from './support/bit-flips.js'
import {
  bodySignature,
  formParamsOf,
  FUZZ_HOST,
  secretsEnv,
  twilioSignature,
  type FuzzSecrets,
} from './support/caller-credentials.js'
import { fuzzBudget } from './support/fuzz-budget.js'
import {
  describeThisRequest,
  sendDoorRequest,
  type DoorRequest,
} from './support/malformed-requests.js'
import { changedTables, countStoredRows } from './support/stored-rows.js'
import { ENGINES } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'

const SECRETS: FuzzSecrets = {
  webhookSecret: 'tamper-webhook-secret-5d20',
  twilioToken: 'tamper-twilio-token-c0e7',
  signingSecret: 'tamper-signing-secret-91ab',
}

/** Cases per door and change. */
const RUNS = 150

/** Seconds all the properties of one engine may take. */
const SECONDS_PER_ENGINE = 15

const byScheme = (scheme: Door['security']['scheme']) =>
  DOORS.filter((door) => door.security.scheme === scheme)

// Printable text without the NUL that no door may store.
const plainText = fc.string({ unit: 'grapheme', maxLength: 24 })

/** A callback to a Twilio door, signed with Twilio's own helper. */
function twilioCallback(door: Door): fc.Arbitrary<DoorRequest> {
  const example = exampleTwilioParams(door.id) ?? {}

  return fc
    .record({
      extra: fc.dictionary(
        fc.stringMatching(/^X[A-Za-z0-9]{1,8}$/),
        plainText,
        {
          maxKeys: 3,
        },
      ),
      query: fc.option(fc.stringMatching(/^[a-z]{1,6}=[A-Za-z0-9]{0,8}$/)),
      json: fc.boolean(),
    })
    .map(({ extra, query, json }) => {
      const params = { ...example, ...extra }
      const search = query === null ? '' : `?${query}`
      const body = json
        ? JSON.stringify(params)
        : new URLSearchParams(params).toString()
      const url = json
        ? withBodyHash(door.path + search, body)
        : door.path + search
      const calledUrl = `http://${FUZZ_HOST}${url}`

      return {
        method: 'POST',
        url,
        headers: {
          host: FUZZ_HOST,
          'content-type': json
            ? 'application/json'
            : 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilioSignature(
            SECRETS.twilioToken!,
            calledUrl,
            json ? {} : params,
          ),
        },
        body: Buffer.from(body),
        remoteAddress: '127.0.0.1',
        [fc.toStringMethod]: describeThisRequest,
      }
    })
}

function withBodyHash(url: string, body: string): string {
  const hash = createHash('sha256').update(body).digest('hex')

  return `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${hash}`
}

/** A body signed with HMAC-SHA256, as the door's example, laid out anew. */
function signedBody(
  door: Door,
  priceList: PriceList,
): fc.Arbitrary<DoorRequest> {
  const example = JSON.parse(exampleJsonBody(door.id, priceList) ?? '{}')
  const header = door.security.signatureHeaders?.[0] ?? 'X-Signature'

  return fc
    .record({ indent: fc.nat({ max: 4 }), key: fc.uuid() })
    .map(({ indent, key }) => {
      const body = Buffer.from(JSON.stringify(example, null, indent))

      return {
        method: 'POST',
        url: door.path,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          [header.toLowerCase()]: bodySignature(body, SECRETS.signingSecret!),
        },
        body,
        remoteAddress: '127.0.0.1',
        [fc.toStringMethod]: describeThisRequest,
      }
    })
}

/** An event with the webhook secret, as a tool sends it. */
function secretEvent(
  door: Door,
  priceList: PriceList,
): fc.Arbitrary<DoorRequest> {
  const example = JSON.parse(exampleJsonBody(door.id, priceList) ?? '{}')

  return fc.uuid().map((id) => ({
    method: 'POST',
    url: door.path,
    headers: {
      'content-type': 'application/json',
      'x-webhook-secret': SECRETS.webhookSecret!,
    },
    body: Buffer.from(JSON.stringify({ ...example, event_id: id })),
    remoteAddress: '127.0.0.1',
    [fc.toStringMethod]: describeThisRequest,
  }))
}

// ---- one-bit changes ---------------------------------------------------

/** A change to a request; undefined when it leaves the same message. */
type Tamper = (request: DoorRequest, bit: number) => DoorRequest | undefined

function flipHeader(
  name: string,
  sameWhen?: (a: string, b: string) => boolean,
): Tamper {
  return (request, bit) => {
    const value = String(request.headers[name])
    const flipped = flipTextBit(value, bit)
    if (sameWhen?.(value, flipped)) return undefined

    return { ...request, headers: { ...request.headers, [name]: flipped } }
  }
}

const flipBody: Tamper = (request, bit) => ({
  ...request,
  body: flipBufferBit(request.body!, bit),
})

// Twilio signs the form's decoded parameters, so a change of bytes that
// decodes to the same parameters is the same callback.
const flipTwilioBody: Tamper = (request, bit) => {
  const flipped = flipBufferBit(request.body!, bit)
  const isForm = !String(request.headers['content-type']).includes('json')
  if (
    isForm &&
    isDeepStrictEqual(formParamsOf(flipped), formParamsOf(request.body))
  ) {
    return undefined
  }

  return { ...request, body: flipped }
}

// The address Twilio signed is the Host header and the request target.
const flipTwilioUrl: Tamper = (request, bit) => {
  const address = `${String(request.headers.host)}${request.url}`
  const flipped = flipTextBit(address, bit)
  const slash = flipped.indexOf('/')
  if (slash === -1) return undefined
  // No request over HTTP carries a control character or a space in its
  // address (the parser refuses it), and Twilio's library reads a trailing
  // one away: "?a=" and "?a\x1d" are one address to it.
  if ([...flipped].some(isControlOrSpace)) return undefined

  const host = flipped.slice(0, slash)
  if (differInCaseOnly(host, String(request.headers.host))) return undefined

  return {
    ...request,
    url: flipped.slice(slash),
    headers: { ...request.headers, host },
  }
}

function isControlOrSpace(character: string): boolean {
  const code = character.charCodeAt(0)

  return code <= 0x20 || code === 0x7f
}

const sameSignature = (a: string, b: string) => differInCaseOnly(a, b)

interface TamperCase {
  what: string
  doors: Door[]
  requests: (door: Door, priceList: PriceList) => fc.Arbitrary<DoorRequest>
  tamper: Tamper
}

const CASES: TamperCase[] = [
  ...byScheme('twilio-signature').flatMap((door): TamperCase[] => [
    {
      what: 'body',
      doors: [door],
      requests: twilioCallback,
      tamper: flipTwilioBody,
    },
    {
      what: 'X-Twilio-Signature',
      doors: [door],
      requests: twilioCallback,
      tamper: flipHeader('x-twilio-signature'),
    },
    {
      what: 'address',
      doors: [door],
      requests: twilioCallback,
      tamper: flipTwilioUrl,
    },
  ]),
  ...byScheme('hmac-signature').flatMap((door): TamperCase[] => [
    { what: 'body', doors: [door], requests: signedBody, tamper: flipBody },
    {
      what: 'signature',
      doors: [door],
      requests: signedBody,
      tamper: flipHeader(
        (door.security.signatureHeaders?.[0] ?? 'x-signature').toLowerCase(),
        sameSignature,
      ),
    },
  ]),
  ...byScheme('shared-secret').map((door): TamperCase => ({
    what: 'X-Webhook-Secret',
    doors: [door],
    requests: secretEvent,
    tamper: flipHeader('x-webhook-secret'),
  })),
]

for (const engine of ENGINES) {
  describe(`signed requests changed by one bit, on ${engine}`, () => {
    const budget = fuzzBudget(SECONDS_PER_ENGINE, CASES.length)
    let t: TestService
    let priceList: PriceList

    before(async () => {
      t = await startTestService(engine, {
        env: { WEBHOOK_SECRET: undefined, ...secretsEnv(SECRETS) },
      })
      priceList = loadPriceList(t.config.priceListPath)
    })
    after(() => t.close())

    for (const { what, doors, requests, tamper } of CASES) {
      for (const door of doors) {
        it(`${door.id}: refuses a one-bit change to the ${what} and stores nothing`, async () => {
          const cases = fc.tuple(requests(door, priceList), anyBit(2048))

          await fc.assert(
            fc.asyncProperty(cases, async ([request, bit]) => {
              const tampered = tamper(request, bit)
              fc.pre(tampered !== undefined)

              const before = await countStoredRows(t.database)
              const answer = await sendDoorRequest(t, tampered)
              const after = await countStoredRows(t.database)

              assert.ok(
                answer.statusCode >= 400 && answer.statusCode < 500,
                `a changed request was answered ${answer.statusCode}`,
              )
              assertWellAnswered(answer, door, t.config, 'POST')
              assert.deepEqual(changedTables(before, after), [])
            }),
            budget(RUNS),
          )
        })
      }
    }

    // Last, as these store what they carry and start follow-up work.
    for (const { what, doors, requests } of CASES) {
      for (const door of doors) {
        it(`${door.id}: accepts the same requests untouched (${what})`, async () => {
          const seed = Number(process.env.FUZZ_SEED ?? randomSeed())
          const samples = fc.sample(requests(door, priceList), {
            numRuns: 3,
            seed,
          })
          for (const request of samples) {
            const answer = await sendDoorRequest(t, request)
            assert.ok(
              answer.statusCode >= 200 && answer.statusCode < 300,
              `untouched request (FUZZ_SEED=${seed}) answered ` +
                `${answer.statusCode}: ${answer.body}`,
            )
          }
        })
      }
    }
  })
}

function randomSeed(): number {
  return Number.parseInt(randomUUID().slice(0, 8), 16)
}
