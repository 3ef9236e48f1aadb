import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { DOORS } from '../src/doors/registry.js'
import { CATALOGUE_EVENT_TYPES } from '../src/live-feed/event-catalogue.js'
import { REFUSALS_KEPT_PER_DOOR } from '../src/observability/door-journal.js'
import {
  CONSOLE_TEST_PASSWORD,
  signIn,
  type SignedIn,
} from './support/console-session.js'
import { startTestService, type TestService } from './support/test-service.js'

const run = promisify(execFile)

const WEBHOOK_SECRET = 'hook-secret-91c2e7d4'
const INVOICE_KEY = 'invoice-key-4b8f0a63'
const PRICING_SECRET = 'pricing-secret-2d7e51'
const TWILIO_TOKEN = 'twilio-token-6a0c39f8'

const SECTION_HEADINGS = [
  'Live feed (unified webhook)',
  'Integrations (HMAC + idempotency)',
  'Scheduled / automation (HTTP triggers)',
  'Service and reads',
  'Canonical event_type strings',
  'Heads-up: doors without an in-app password',
]

/** The `<tr>` of door `id` on the webhooks page. */
function doorRow(html: string, id: string): string {
  const match = new RegExp(
    `<tr id="door-[^"]*" data-door-id="${escapeRegExp(id)}">([\\s\\S]*?)</tr>`,
  ).exec(html)
  assert.ok(match, `no row for door ${id}`)

  return match[1]!
}

/** The example command of door `id`, as a person copying it gets it. */
function exampleOf(html: string, id: string): string {
  const row = new RegExp(
    `data-example-for="${escapeRegExp(id)}">[\\s\\S]*?` +
      '<pre class="example" data-example>([\\s\\S]*?)</pre>',
  ).exec(html)
  assert.ok(row, `no example for door ${id}`)

  return unescapeHtml(row[1]!)
}

/** The section element of `section` on the webhooks page. */
function sectionOf(html: string, section: string): string {
  const match = new RegExp(
    `<section[^>]*data-section="${section}">([\\s\\S]*?)</section>`,
  ).exec(html)
  assert.ok(match, `no section ${section}`)

  return match[1]!
}

function unescapeHtml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('the webhooks page under a public base URL', () => {
  let t: TestService
  let browser: SignedIn

  before(async () => {
    t = await startTestService('pglite', {
      env: {
        BASE_PATH: '/pressos',
        PUBLIC_BASE_URL: 'https://shop.example.com',
        CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD,
        WEBHOOK_SECRET,
        INVOICE_WORKFLOW_API_KEY: INVOICE_KEY,
        PRESSOS_PRICING_HMAC_SECRET: undefined,
        TRUSTED_NETWORKS: '10.20.0.0/16,127.0.0.1',
      },
    })
    browser = await signIn(t.service.app, '/pressos')
  })
  after(() => t.close())

  const webhooksPage = async () => {
    const response = await browser.request({
      method: 'GET',
      url: '/pressos/console/webhooks',
    })
    assert.equal(response.statusCode, 200)

    return response.body
  }

  it('lists every door of the registry with its full URL', async () => {
    const html = await webhooksPage()

    for (const door of DOORS) {
      const row = doorRow(html, door.id)
      const url = `https://shop.example.com/pressos${door.path}`
      assert.ok(
        row.includes(`<code class="full-url" data-full-url>${url}</code>`),
        `${door.id} should show ${url}`,
      )
      assert.ok(row.includes(`<td>${door.methods.join(', ')}</td>`))
    }
    assert.equal(
      html.match(/<tr id="door-/g)?.length,
      DOORS.length,
      'one row per door, no more',
    )
  })

  it('keeps the PressOS order of sections, each door in its own', async () => {
    const html = await webhooksPage()
    const positions = SECTION_HEADINGS.map((heading) =>
      html.indexOf(`">${heading}</h2>`),
    )

    assert.ok(
      positions.every((at) => at > 0),
      'every heading is there',
    )
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
    )
    for (const door of DOORS) {
      assert.match(
        sectionOf(html, door.section),
        new RegExp(`data-door-id="${escapeRegExp(door.id)}"`),
      )
    }
  })

  it('lists the 57 canonical event types behind a disclosure', async () => {
    const html = await webhooksPage()
    const list =
      /<ul class="event-types" data-event-types>([\s\S]*?)<\/ul>/.exec(
        html,
      )?.[1]
    const items = [...(list ?? '').matchAll(/<li><code>([^<]+)<\/code>/g)]

    assert.match(html, /<summary>Show all 57 values<\/summary>/)
    assert.equal(items.length, 57)
    assert.deepEqual(
      items.map((item) => item[1]),
      [...CATALOGUE_EVENT_TYPES],
    )
  })

  it('says which doors are set up, unsigned or closed', async () => {
    const html = await webhooksPage()
    const state = (id: string) =>
      /data-credential-state="([a-z]+)"/.exec(doorRow(html, id))?.[1]

    assert.equal(state('webhooks.events'), 'ready')
    assert.equal(state('api.pricing.quote'), 'unsigned')
    assert.match(doorRow(html, 'api.pricing.quote'), /Unsigned: PRESSOS_PRIC/)
    assert.equal(state('twilio.sms.inbound'), 'closed')
    assert.match(
      doorRow(html, 'twilio.sms.inbound'),
      /TWILIO_AUTH_TOKEN is not set, so it answers 503/,
    )
    assert.equal(state('api.gmail.ingest'), 'closed')
    assert.match(doorRow(html, 'api.gmail.ingest'), /Gmail is not configured/)
    assert.equal(state('api.print-confirmation-pdf-uploads'), 'ready')
    assert.equal(state('api.roadmap.ingest'), 'network')
    assert.match(
      doorRow(html, 'api.roadmap.ingest'),
      /Only callers from 10\.20\.0\.0\/16, 127\.0\.0\.1/,
    )
    assert.match(html, /data-trusted-networks="10\.20\.0\.0\/16,127\.0\.0\.1"/)
  })

  it('shows secrets only as shell variables, never their values', async () => {
    const html = await webhooksPage()

    assert.ok(!html.includes(WEBHOOK_SECRET), 'webhook secret leaked')
    assert.ok(!html.includes(INVOICE_KEY), 'invoice key leaked')
    assert.match(
      exampleOf(html, 'webhooks.events'),
      /-H "X-Webhook-Secret: \$WEBHOOK_SECRET"/,
    )
    assert.match(
      exampleOf(html, 'api.print-confirmation-pdf-uploads'),
      /-H "X-PressOS-Key: \$INVOICE_WORKFLOW_API_KEY"/,
    )
  })

  it('counts a refused request and lists it on the rejected page', async () => {
    const wrongSecret = 'not-the-secret-5f1e'
    const refused = await t.service.app.inject({
      method: 'POST',
      url: '/pressos/webhooks/events',
      remoteAddress: '203.0.113.9',
      headers: {
        'content-type': 'application/json',
        'x-webhook-secret': wrongSecret,
      },
      payload: { event_type: 'quote.sent' },
    })
    assert.equal(refused.statusCode, 401)

    const row = doorRow(await webhooksPage(), 'webhooks.events')
    assert.match(
      row,
      /<a href="\/pressos\/console\/rejected\?door=webhooks\.events" data-refused-count="1">1 refused<\/a>/,
    )
    assert.match(
      row,
      /<li data-reason="bad-webhook-secret">wrong or missing secret: 1<\/li>/,
    )

    const rejected = await browser.request({
      method: 'GET',
      url: '/pressos/console/rejected?door=webhooks.events',
    })
    assert.equal(rejected.statusCode, 200)
    const rows = [
      ...rejected.body.matchAll(/<tr id="refusal-\d+" ([\s\S]*?)<\/tr>/g),
    ]
    assert.equal(rows.length, 1)
    const refusal = rows[0]![1]!
    assert.match(
      refusal,
      /data-refusal-id="\d+" data-door-id="webhooks.events"/,
    )
    assert.match(refusal, /<span class="badge bad">401<\/span>/)
    assert.match(refusal, /wrong or missing secret/)
    assert.match(refusal, /does not match the webhook secret/)
    assert.match(refusal, /<td data-client-address>203\.0\.113\.9<\/td>/)
    assert.match(refusal, /<dt>x-webhook-secret<\/dt>\s*<dd>\[redacted\]<\/dd>/)
    assert.ok(!rejected.body.includes(wrongSecret), 'sent secret leaked')
    assert.match(
      rejected.body,
      /<option value="webhooks.events" selected>webhooks.events<\/option>/,
    )
    assert.match(
      rejected.body,
      new RegExp(
        `Only the newest ${REFUSALS_KEPT_PER_DOOR} refusals of each door are kept`,
      ),
    )
  })

  it('shows no refusals for a door that refused nothing', async () => {
    const response = await browser.request({
      method: 'GET',
      url: '/pressos/console/rejected?door=webhooks.ping',
    })

    assert.equal(response.statusCode, 200)
    assert.doesNotMatch(response.body, /data-refusal-id/)
    assert.match(response.body, /No refused requests at webhooks.ping/)
  })
})

describe('the example requests of the webhooks page', () => {
  let t: TestService
  let browser: SignedIn
  let origin: string

  before(async () => {
    t = await startTestService('pglite', {
      env: {
        BASE_PATH: '/pressos',
        CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD,
        WEBHOOK_SECRET,
        PRESSOS_PRICING_HMAC_SECRET: PRICING_SECRET,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TRUSTED_NETWORKS: 'any',
      },
    })
    await t.service.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.service.app.server.address() as AddressInfo
    origin = `127.0.0.1:${port}`
    browser = await signIn(t.service.app, '/pressos')
  })
  after(() => t.close())

  /** The page as seen by a browser that reached the listening service. */
  const webhooksPage = async () => {
    const response = await browser.request({
      method: 'GET',
      url: '/pressos/console/webhooks',
      headers: { host: origin },
    })
    assert.equal(response.statusCode, 200)

    return response.body
  }

  /**
   * Runs `example` with bash as an operator would, with `secrets` in the
   * environment; curl is made to print the status it got.
   */
  const runExample = async (
    example: string,
    secrets: Record<string, string>,
  ) => {
    const script =
      `curl() { command curl -w '\\nstatus=%{http_code}' "$@"; }\n` + example
    const { stdout } = await run('bash', ['-c', script], {
      env: { PATH: process.env.PATH, ...secrets },
    })

    return Number(/status=(\d{3})$/.exec(stdout.trim())?.[1])
  }

  it('warns that doors without a password are open to all', async () => {
    const html = await webhooksPage()

    assert.match(html, /data-trusted-networks="any">\s*Warning:/)
    assert.match(doorRow(html, 'api.roadmap.ingest'), /TRUSTED_NETWORKS=any/)
  })

  it('signs the events example with the webhook secret', async () => {
    const example = exampleOf(await webhooksPage(), 'webhooks.events')

    assert.ok(example.includes(`'http://${origin}/pressos/webhooks/events'`))
    assert.equal(await runExample(example, { WEBHOOK_SECRET }), 202)
    assert.equal(await runExample(example, { WEBHOOK_SECRET: 'wrong' }), 401)
  })

  it('signs the quote example with an HMAC of the exact body', async () => {
    const html = await webhooksPage()
    const example = exampleOf(html, 'api.pricing.quote')

    assert.ok(!html.includes(PRICING_SECRET), 'pricing secret leaked')
    assert.match(example, /openssl dgst -sha256 -hmac/)
    assert.match(example, /Idempotency-Key: \$\(openssl rand -hex 16\)/)
    assert.equal(
      await runExample(example, {
        PRESSOS_PRICING_HMAC_SECRET: PRICING_SECRET,
      }),
      201,
    )
    assert.equal(
      await runExample(example, { PRESSOS_PRICING_HMAC_SECRET: 'wrong' }),
      401,
    )
  })

  it('signs the Twilio example the way Twilio does', async () => {
    const html = await webhooksPage()
    const example = exampleOf(html, 'twilio.sms.inbound')

    assert.ok(!html.includes(TWILIO_TOKEN), 'Twilio token leaked')
    assert.equal(
      await runExample(example, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN }),
      200,
    )
    assert.equal(await runExample(example, { TWILIO_AUTH_TOKEN: 'wrong' }), 403)
  })
})
