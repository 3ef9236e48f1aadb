import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsPlugin from 'ajv-formats'
import type { Door } from '../src/doors/door.js'
import { DOORS } from '../src/doors/registry.js'
import { HttpProblem } from '../src/http/problem.js'
import { readEventBody } from '../src/live-feed/event-input.js'
import {
  readIncomingText,
  readStatusReport,
  readTranscription,
} from '../src/messaging/twilio-callbacks.js'
import { ROUND_PRICES } from './support/round-prices.js'
import { incomingTextParams } from './support/twilio-callbacks.js'
import {
  startTestService,
  TEST_SECRET,
  type TestService,
} from './support/test-service.js'

/** Every secret the service can be given, each set to a value to look for. */
const SECRETS = {
  WEBHOOK_SECRET: TEST_SECRET,
  PRINTBRAIN_WEBHOOK_SECRET: 'insight-secret-93b1',
  PRESSOS_PRICING_HMAC_SECRET: 'pricing-secret-4d7e',
  INVOICE_WORKFLOW_API_KEY: 'invoice-key-a62c',
  TWILIO_AUTH_TOKEN: 'twilio-token-1f0b',
  FILE_LINK_SECRET: 'file-link-secret-0a9d5e3c7b1f4d2a',
}

const PACKAGE_VERSION = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version

type Json = Record<string, any>

// ajv-formats is CommonJS; its default export arrives as the module object.
const addFormats = ((addFormatsPlugin as any).default ?? addFormatsPlugin) as (
  ajv: Ajv2020,
) => Ajv2020

const ajv = addFormats(
  new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }),
)

/** Whether `value` fits `schema`, as a JSON Schema 2020-12 validator says. */
function fits(schema: Json, value: unknown): boolean {
  return ajv.validate(schema, value) as boolean
}

/** The path OpenAPI shows `door` at, worked out independently. */
function documentedPath(door: Door): string {
  return door.path.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{rest}')
}

/** Every operation of `document` by door id, with its path and method. */
function operationsByDoor(document: Json) {
  const found = new Map<string, { path: string; method: string; op: Json }[]>()
  for (const [path, item] of Object.entries<Json>(document.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      const door = op['x-pressos-door'] as string
      found.set(door, [...(found.get(door) ?? []), { path, method, op }])
    }
  }

  return found
}

function operation(document: Json, path: string, method = 'post'): Json {
  const op = document.paths[path]?.[method]
  assert.ok(op, `no operation ${method} ${path}`)

  return op
}

function bodySchema(
  document: Json,
  path: string,
  mediaType = 'application/json',
): Json {
  return operation(document, path).requestBody.content[mediaType].schema
}

/** Whether `read` accepts `input` or refuses it with a 422. */
function acceptedBy(read: () => unknown): boolean {
  try {
    read()

    return true
  } catch (error) {
    assert.ok(error instanceof HttpProblem)
    assert.equal(error.status, 422)

    return false
  }
}

function signature(body: string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')
}

describe('GET /openapi.json under BASE_PATH and PUBLIC_BASE_URL', () => {
  let t: TestService
  let body: string
  let document: Json

  before(async () => {
    t = await startTestService('pglite', {
      priceList: ROUND_PRICES,
      env: {
        BASE_PATH: '/pressos',
        PUBLIC_BASE_URL: 'https://print.example.com/',
        ...SECRETS,
      },
    })
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/openapi.json',
    })
    assert.equal(response.statusCode, 200)
    assert.match(response.headers['content-type'] as string, /json/)
    body = response.body
    document = response.json()
  })
  after(() => t.close())

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(document))

    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2))
    assert.equal(validator.version, '3.1')
    assert.equal(document.info.version, PACKAGE_VERSION)
  })

  it('describes every door of the registry with each of its methods', () => {
    const operations = operationsByDoor(document)

    for (const door of DOORS) {
      const described = operations.get(door.id) ?? []
      assert.deepEqual(
        described.map((o) => o.method).sort(),
        door.methods.map((m) => m.toLowerCase()).sort(),
        `methods of ${door.id}`,
      )
      for (const { path } of described) {
        assert.equal(path, documentedPath(door), `path of ${door.id}`)
      }
    }
    assert.deepEqual(
      [...operations.keys()].sort(),
      DOORS.map((door) => door.id).sort(),
      'the description has operations of no other door',
    )
  })

  it('lists paths the server answers under BASE_PATH', () => {
    assert.deepEqual(
      document.servers.map((s: Json) => s.url),
      ['https://print.example.com/pressos'],
    )

    for (const [path, item] of Object.entries<Json>(document.paths)) {
      assert.ok(!path.startsWith('/pressos'), `${path} repeats BASE_PATH`)
      const url =
        '/pressos' + path.replace(/\{rest\}$/, '*').replace(/\{(\w+)\}/g, ':$1')
      for (const method of Object.keys(item)) {
        assert.ok(
          t.service.app.hasRoute({ method: method.toUpperCase(), url }),
          `the server has no route ${method} ${url}`,
        )
      }
    }
  })

  it('is served under BASE_PATH only', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/openapi.json',
    })

    assert.equal(response.statusCode, 404)
  })

  it('shows none of the configured secrets', () => {
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(!body.includes(value), `the value of ${name} appears`)
    }
  })

  it('names the headers each door checks as its security', () => {
    const securityOf = (path: string) => operation(document, path).security
    const schemes = document.components.securitySchemes

    assert.deepEqual(securityOf('/webhooks/events'), [
      { 'X-Webhook-Secret': [] },
    ])
    assert.deepEqual(securityOf('/webhooks/twilio/sms/inbound'), [
      { 'X-Twilio-Signature': [] },
    ])
    assert.deepEqual(securityOf('/api/inbox/insights'), [
      { 'X-PrintBrain-Signature': [] },
      { 'X-Signature': [] },
    ])
    assert.deepEqual(securityOf('/api/pricing/quote'), [
      { 'X-PressOS-Signature': [] },
      { 'X-PrintBrain-Signature': [] },
      { 'X-Signature': [] },
    ])
    assert.deepEqual(securityOf('/api/gmail/ingest-print-invoices'), [
      { 'X-PressOS-Key': [] },
    ])
    assert.deepEqual(securityOf('/api/roadmap/ingest'), [])
    assert.match(
      operation(document, '/api/roadmap/ingest').description,
      /TRUSTED_NETWORKS/,
    )
    assert.deepEqual(operation(document, '/webhooks/ping', 'get').security, [])
    assert.match(schemes['X-Signature'].description, /sha256=.*HMAC-SHA256/)
    for (const scheme of Object.values<Json>(schemes)) {
      assert.equal(scheme.type, 'apiKey')
      assert.equal(scheme.in, 'header')
    }
  })

  it('asks for the Idempotency-Key where the door takes one', () => {
    const keyOf = (path: string) =>
      (operation(document, path).parameters ?? []).find(
        (p: Json) => p.name === 'Idempotency-Key',
      )

    assert.equal(keyOf('/api/inbox/insights')?.required, true)
    assert.equal(keyOf('/api/pricing/quote')?.required, true)
    assert.equal(keyOf('/webhooks/events')?.required, false)
    assert.equal(keyOf('/api/roadmap/ingest'), undefined)
  })

  it('documents a body in every media type a door accepts', () => {
    for (const door of DOORS.filter((d) => d.accepts)) {
      const item = document.paths[documentedPath(door)] ?? {}
      const op = item.post ?? item.patch ?? {}
      const content = op.requestBody?.content ?? {}

      assert.deepEqual(Object.keys(content), door.accepts, door.id)
    }
  })

  it('answers every refusal with the shared problem schema', async () => {
    for (const item of Object.values<Json>(document.paths)) {
      for (const op of Object.values<Json>(item)) {
        for (const [status, answer] of Object.entries<Json>(op.responses)) {
          if (Number(status) < 400) continue

          assert.deepEqual(answer.content, {
            'application/problem+json': {
              schema: { $ref: '#/components/schemas/Problem' },
            },
          })
        }
      }
    }

    const refusal = await t.service.app.inject({
      method: 'POST',
      url: '/pressos/webhooks/events',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    })
    assert.equal(refusal.statusCode, 401)
    assert.ok(fits(document.components.schemas.Problem, refusal.json()))
    assert.ok(operation(document, '/webhooks/events').responses['401'])
  })

  describe('request bodies', () => {
    const quoteBody = () => ({
      customer: 'Lincoln High Boosters',
      items: [
        {
          style: 'Independent SS4500',
          colour: 'Black',
          dark: true,
          blank_cost_cents: 1000,
          sizes: { M: 10, L: 14 },
          locations: [{ name: 'front', colours: 2 }],
        },
      ],
    })

    function postQuote(sent: Json) {
      const payload = JSON.stringify(sent)

      return t.service.app.inject({
        method: 'POST',
        url: '/pressos/api/pricing/quote',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
          'x-pressos-signature': signature(
            payload,
            SECRETS.PRESSOS_PRICING_HMAC_SECRET,
          ),
        },
        payload,
      })
    }

    it('documents the quote body the quote door checks', async () => {
      const schema = bodySchema(document, '/api/pricing/quote')
      const sound = { ...quoteBody(), sales_channel: 'website' }
      const fractional = quoteBody()
      fractional.items[0]!.blank_cost_cents = 10.5
      const empty = { ...quoteBody(), items: [] }

      assert.equal((await postQuote(sound)).statusCode, 201)
      assert.ok(fits(schema, sound), 'the documented schema refuses it')
      for (const refused of [fractional, empty]) {
        assert.equal((await postQuote(refused)).statusCode, 422)
        assert.ok(!fits(schema, refused), 'the documented schema takes it')
      }
    })

    it('shows the print locations of the price list in force', () => {
      const schema = bodySchema(document, '/api/pricing/quote')
      const location = schema.properties.items.items.properties.locations.items

      for (const name of ROUND_PRICES.locations) {
        assert.match(location.properties.name.description, new RegExp(name))
      }
    })

    it('documents the event fields the events door reads', () => {
      const schema = bodySchema(document, '/webhooks/events')
      const examples: Json[] = [
        { event_type: 'lead.new_inquiry' },
        {
          event_type: 'quote.sent',
          event_id: 42,
          source: 'mockupdesk',
          occurred_at: '2026-12-03T14:05:00-05:00',
          work_order_id: 'WO-1042',
          data: { total: 1 },
          anything_else: [1, 2],
        },
        { event_type: 'x', occurred_at: '2026-12-03t19:05:00.5z' },
        { event_type: 'x', event_id: null, source: null, data: null },
        {},
        { event_type: '   ' },
        { event_type: 5 },
        { event_type: 'x'.repeat(256) },
        { event_type: 'x', event_id: ' ' },
        { event_type: 'x', event_id: 1.5 },
        { event_type: 'x', work_order_id: true },
        { event_type: 'x', occurred_at: '2026-12-03 14:05' },
        { event_type: 'x', occurred_at: '2026-12-03T14:05:00' },
        { event_type: 'x', data: [] },
        { event_type: 'x', source: 's'.repeat(256) },
      ]

      for (const example of examples) {
        assert.equal(
          fits(schema, example),
          acceptedBy(() => readEventBody(example)),
          JSON.stringify(example),
        )
      }
    })

    it('documents the parameters the Twilio doors read', () => {
      const form = 'application/x-www-form-urlencoded'
      const text = bodySchema(document, '/webhooks/twilio/sms/inbound', form)
      const status = bodySchema(document, '/webhooks/twilio/sms/status', form)
      const voicemail = bodySchema(
        document,
        '/webhooks/twilio/voicemail-transcription',
        form,
      )
      const { From: _from, ...noSender } = incomingTextParams()
      const cases: [Json, Json, (p: any) => unknown][] = [
        [text, incomingTextParams(), readIncomingText],
        [text, noSender, readIncomingText],
        [text, incomingTextParams({ MessageSid: ' ' }), readIncomingText],
        [
          status,
          { MessageSid: 'SM1', MessageStatus: 'sent' },
          readStatusReport,
        ],
        [status, { SmsSid: 'SM1', SmsStatus: 'failed' }, readStatusReport],
        [status, { MessageSid: 'SM1' }, readStatusReport],
        [status, { SmsStatus: 'delivered' }, readStatusReport],
        [
          voicemail,
          { TranscriptionSid: 'TR1', TranscriptionStatus: 'completed' },
          readTranscription,
        ],
        [voicemail, { TranscriptionSid: 'TR1' }, readTranscription],
      ]

      for (const [schema, params, read] of cases) {
        assert.equal(
          fits(schema, params),
          acceptedBy(() => read(params)),
          JSON.stringify(params),
        )
      }
    })

    it('documents the acknowledgement the ack door reads', async () => {
      const schema = bodySchema(
        document,
        '/api/print-confirmation-pdf-uploads/ack',
      )
      const ack = (sent: Json) =>
        t.service.app.inject({
          method: 'POST',
          url: '/pressos/api/print-confirmation-pdf-uploads/ack',
          headers: {
            'content-type': 'application/json',
            'x-pressos-key': SECRETS.INVOICE_WORKFLOW_API_KEY,
          },
          payload: JSON.stringify(sent),
        })
      const sound = { gmail_thread_id: '18c2f0a1', pressos_row_id: '7' }
      const refused = [
        { pressos_row_id: 7 },
        { gmail_thread_id: '18c2f0a1', pressos_row_id: 0 },
        { gmail_thread_id: '18c2f0a1', printpath_confirmation_id: {} },
      ]

      // Past the check of its body, the door needs Gmail, which is not set.
      const passed = await ack(sound)
      assert.equal(
        passed.json().type,
        'https://pressos.dev/problems/gmail-not-configured',
      )
      assert.ok(fits(schema, sound))
      for (const sent of refused) {
        assert.equal((await ack(sent)).statusCode, 422, JSON.stringify(sent))
        assert.ok(!fits(schema, sent), JSON.stringify(sent))
      }
    })
  })
})

describe('GET /openapi.json without BASE_PATH', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite')
  })
  after(() => t.close())

  it('lists the doors relative to where it was fetched from', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/openapi.json',
    })

    assert.equal(response.statusCode, 200)
    const document = response.json()
    assert.deepEqual(
      document.servers.map((s: Json) => s.url),
      ['/'],
    )
    assert.ok(document.paths['/webhooks/events'].post)
    assert.ok(document.paths['/openapi.json'].get)
  })
})
