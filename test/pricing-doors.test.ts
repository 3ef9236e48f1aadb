import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import { sign } from '@octokit/webhooks-methods'
import { ROUND_PRICES } from './support/round-prices.js'
import { ENGINES, query, resetTables } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'

const SECRET = 'pricing-secret-5e1'

const PRICES = ROUND_PRICES

/** 24 black hoodies (2 of them 2XL), 2 colours front, 1 back, in a rush. */
const HOODIES = JSON.stringify({
  customer: 'Lincoln High Boosters',
  reference: 'MD-5521',
  source: 'mockupdesk',
  items: [
    {
      style: 'Independent SS4500',
      colour: 'Black',
      dark: true,
      blank_cost_cents: 1000,
      sizes: { M: 10, L: 12, '2XL': 2 },
      locations: [
        { name: 'back', colours: 1 },
        { name: 'front', colours: 2 },
      ],
    },
  ],
  rush: true,
})

function signature(body: string, secret = SECRET): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')
}

function postQuote(
  t: TestService,
  body: string,
  headers: Record<string, string> = {},
) {
  return t.service.app.inject({
    method: 'POST',
    url: '/api/pricing/quote',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      'x-pressos-signature': signature(body),
      ...headers,
    },
    payload: body,
  })
}

for (const engine of ENGINES) {
  describe(`POST /api/pricing/quote on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        priceList: PRICES,
        env: { PRESSOS_PRICING_HMAC_SECRET: SECRET },
      })
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('prices a dark garment with a size upcharge in a rush', async () => {
      const response = await postQuote(t, HOODIES)

      assert.equal(response.statusCode, 201)
      const quote = response.json()
      // 24 pieces: break 24 (index 1). Dark: underbase makes front 3
      // colours, back 2; front has more, so it is the first location.
      // Print per piece: front 3 colours 400 + back 2 colours extra 150 = 550
      // Flash: 30 x 2 locations = 60. Blank: 1000 x 140% = 1400.
      // Per piece: 550 + 60 + 1400 = 2010
      assert.equal(quote.items[0].per_piece_cents, 2010)
      // Pieces: 2010 x 24 = 48240; 2XL upcharge 2 x 200 = 400;
      // screens (24 < 48): (3 + 2) colours x 2000 = 10000.
      // Subtotal 48240 + 400 + 10000 = 58640
      assert.equal(quote.subtotal_cents, 58_640)
      // rush: true takes the fastest tier, 50%: 29320
      assert.equal(quote.rush_percent, 50)
      assert.equal(quote.rush_cents, 29_320)
      assert.equal(quote.total_cents, 87_960)
      assert.equal(quote.price_list_version, 'test-1')
      assert.ok(
        quote.lines.every((line: { amount_cents: number }) =>
          Number.isInteger(line.amount_cents),
        ),
      )
    })

    it('keeps a snapshot that GET /api/pricing/quotes/:id returns', async () => {
      const created = (await postQuote(t, HOODIES)).json()
      const response = await t.service.app.inject({
        url: `/api/pricing/quotes/${created.id}`,
      })

      assert.equal(response.statusCode, 200)
      const snapshot = response.json()
      assert.equal(snapshot.priceListVersion, 'test-1')
      assert.equal(snapshot.totalCents, 87_960)
      assert.equal(snapshot.request.reference, 'MD-5521')
      assert.equal(snapshot.result.total_cents, 87_960)
    })

    it('logs quote.generated to the activity log', async () => {
      const created = (await postQuote(t, HOODIES)).json()

      const [event] = await query<any>(
        t.database,
        `select event_type, source, payload->'data' as data from activity_events`,
      )
      assert.equal(event.event_type, 'quote.generated')
      assert.equal(event.source, 'mockupdesk')
      assert.equal(event.data.quote_id, created.id)
      assert.equal(event.data.total_cents, 87_960)
    })

    for (const header of [
      'x-pressos-signature',
      'x-printbrain-signature',
      'x-signature',
    ]) {
      it(`accepts a signature in ${header}`, async () => {
        const response = await postQuote(t, HOODIES, {
          'x-pressos-signature': '',
          [header]: await sign(SECRET, HOODIES),
        })

        assert.equal(response.statusCode, 201)
      })
    }

    it('refuses a missing or wrong signature with 401, keeping nothing', async () => {
      const missing = await postQuote(t, HOODIES, { 'x-pressos-signature': '' })
      const wrong = await postQuote(t, HOODIES, {
        'x-pressos-signature': signature(HOODIES, 'guess'),
      })

      assert.equal(missing.statusCode, 401)
      assert.equal(wrong.statusCode, 401)
      assert.deepEqual(
        await query(t.database, 'select id from pricing_quotes'),
        [],
      )
    })

    it('replays the same quote for the same key, pricing it once', async () => {
      const key = { 'idempotency-key': 'mockupdesk-quote-9' }
      const first = await postQuote(t, HOODIES, key)
      const second = await postQuote(t, HOODIES, key)

      assert.equal(second.body, first.body)
      assert.equal(second.headers['idempotent-replayed'], 'true')
      const quotes = await query(t.database, 'select id from pricing_quotes')
      assert.equal(quotes.length, 1)
    })

    it('refuses a request below the minimum with 422 naming the limit', async () => {
      const small = JSON.stringify({
        items: [
          {
            style: 'Gildan 5000',
            colour: 'White',
            blank_cost_cents: 300,
            sizes: { M: 6 },
            locations: [{ name: 'front', colours: 1 }],
          },
        ],
      })
      const response = await postQuote(t, small)

      assert.equal(response.statusCode, 422)
      assert.equal(response.json().limit, 'minimum_quantity')
      assert.match(response.json().detail, /6 pieces, below the minimum of 12/)
    })

    it('refuses too many colours with 422 naming the limit', async () => {
      const loud = JSON.stringify({
        items: [
          {
            style: 'Gildan 5000',
            colour: 'Black',
            dark: true,
            blank_cost_cents: 300,
            sizes: { M: 24 },
            locations: [{ name: 'front', colours: 3 }],
          },
        ],
      })
      const response = await postQuote(t, loud)

      assert.equal(response.statusCode, 422)
      assert.equal(response.json().limit, 'max_colours')
    })

    it('refuses a malformed request with 422 naming the fields', async () => {
      const bad = JSON.stringify({
        items: [{ style: 'X', blank_cost_cents: 3.5 }],
      })
      const response = await postQuote(t, bad)

      assert.equal(response.statusCode, 422)
      const fields = response
        .json()
        .errors.map((e: { field: string }) => e.field)
      assert.ok(fields.includes('items.0.blank_cost_cents'))
    })

    it('answers an unknown quote with 404', async () => {
      const response = await t.service.app.inject({
        url: '/api/pricing/quotes/77',
      })

      assert.equal(response.statusCode, 404)
    })
  })
}
