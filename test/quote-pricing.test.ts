import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { loadPriceList } from '../src/pricing/price-list.js'
import { ROUND_PRICES } from './support/round-prices.js'
import {
  priceQuote,
  UnpriceableQuoteError,
  type PricedQuote,
  type PricingLimit,
} from '../src/pricing/quote-pricing.js'
import type { QuoteItem, QuoteRequest } from '../src/pricing/quote-request.js'

const PRICES = ROUND_PRICES

const TODAY = '2026-12-01'

/** A light tee, 12 mediums, one colour on the front, blank at no cost. */
function tee(changes: Partial<QuoteItem> = {}): QuoteItem {
  return {
    style: 'Gildan 5000',
    colour: 'White',
    dark: false,
    blank_cost_cents: 0,
    sizes: { M: 12 },
    locations: [{ name: 'front', colours: 1 }],
    ...changes,
  }
}

function quoteOf(
  items: QuoteItem[],
  changes: Partial<QuoteRequest> = {},
): PricedQuote {
  return priceQuote({ items, rush: false, ...changes }, PRICES, TODAY)
}

/** The lines of `quote` as `[kind, quantity, unit, amount]`. */
function linesOf(quote: PricedQuote) {
  return quote.lines.map((line) => [
    line.kind,
    line.quantity,
    line.unit_cents,
    line.amount_cents,
  ])
}

function refusal(
  request: QuoteRequest,
  limit: PricingLimit,
  message: RegExp,
): void {
  assert.throws(
    () => priceQuote(request, PRICES, TODAY),
    (error: unknown) => {
      assert.ok(error instanceof UnpriceableQuoteError)
      assert.equal(error.limit, limit)
      assert.match(error.message, message)

      return true
    },
  )
}

describe('pricing a light garment', () => {
  it('prices one location at the first rate with a marked-up blank', () => {
    const quote = quoteOf([
      tee({ sizes: { S: 4, M: 4, L: 4 }, blank_cost_cents: 325 }),
    ])

    assert.deepEqual(linesOf(quote), [
      ['print', 12, 300, 3600], // 1 colour at the 12 break: 300; 300 × 12
      // blank 325 + 50% = 487.5, half a cent rounds up: 488; 488 × 12 = 5856
      ['blank', 12, 488, 5856],
      ['screens', 1, 2000, 2000], // 1 colour, 1 screen at 2000
    ])
    assert.equal(quote.items[0]?.per_piece_cents, 788) // 300 + 488
    assert.equal(quote.items[0]?.break_low, 12)
    assert.equal(quote.subtotal_cents, 11456) // 788 × 12 = 9456; + 2000
    assert.equal(quote.rush_cents, 0)
    assert.equal(quote.total_cents, 11456)
  })
})

describe('pricing a dark garment', () => {
  it('adds underbase and flash, printing the fullest location first', () => {
    const quote = quoteOf([
      tee({
        colour: 'Black',
        dark: true,
        blank_cost_cents: 400,
        sizes: { M: 12, L: 12 },
        locations: [
          { name: 'front', colours: 1 },
          { name: 'back', colours: 2 },
        ],
      }),
    ])

    // 24 pieces: the 24 break. Underbase: front 1 + 1 = 2, back 2 + 1 = 3,
    // so back (3) is the first location and front (2) an extra one.
    assert.deepEqual(linesOf(quote), [
      ['print', 24, 400, 9600], // print_rates 3 at 24: 400; 400 × 24
      ['print', 24, 150, 3600], // extra_location_rates 2 at 24: 150; × 24
      ['flash', 24, 60, 1440], // 30 × 2 locations = 60; 60 × 24
      ['blank', 24, 560, 13440], // 400 + 40% = 560; 560 × 24
      ['screens', 5, 2000, 10000], // 3 + 2 screens, 24 is under 48
    ])
    assert.match(quote.lines[0]!.description, /back, 3 colours/)
    assert.equal(quote.items[0]?.per_piece_cents, 1170) // 400+150+60+560
    assert.equal(quote.subtotal_cents, 38080) // 1170 × 24 = 28080; + 10000
    assert.ok(quote.assumptions.some((line) => /underbase/.test(line)))
  })

  it('keeps the order sent for locations with as many colours', () => {
    const quote = quoteOf([
      tee({
        locations: [
          { name: 'back', colours: 2 },
          { name: 'front', colours: 2 },
        ],
      }),
    ])

    assert.match(quote.lines[0]!.description, /^print back/)
    assert.equal(quote.lines[0]!.unit_cents, 400) // print_rates 2 at 12
    assert.equal(quote.lines[1]!.unit_cents, 200) // extra 2 at 12
  })
})

describe('pricing large sizes', () => {
  it('charges size upcharges on their own lines, not per piece', () => {
    const quote = quoteOf([
      tee({ blank_cost_cents: 200, sizes: { L: 10, '2XL': 1, '3XL': 1 } }),
    ])

    assert.deepEqual(linesOf(quote), [
      ['print', 12, 300, 3600], // 1 colour at 12: 300
      ['blank', 12, 300, 3600], // 200 + 50% = 300
      ['size_upcharge', 1, 200, 200], // one 2XL at 200
      ['size_upcharge', 1, 300, 300], // one 3XL at 300
      ['screens', 1, 2000, 2000],
    ])
    assert.equal(quote.items[0]?.per_piece_cents, 600) // 300 + 300
    assert.equal(quote.subtotal_cents, 9700) // 600 × 12 = 7200; +500 +2000
  })
})

describe('pricing screens', () => {
  it('charges screens below the waiver quantity', () => {
    const quote = quoteOf([tee({ blank_cost_cents: 100, sizes: { M: 47 } })])

    assert.deepEqual(linesOf(quote), [
      ['print', 47, 200, 9400], // 47 is in the 24 break: 200; 200 × 47
      ['blank', 47, 140, 6580], // 100 + 40% = 140; 140 × 47
      ['screens', 1, 2000, 2000],
    ])
    assert.equal(quote.subtotal_cents, 17980) // 9400 + 6580 + 2000
  })

  it('waives screens from the waiver quantity on', () => {
    const quote = quoteOf([tee({ blank_cost_cents: 100, sizes: { M: 48 } })])

    assert.deepEqual(linesOf(quote), [
      ['print', 48, 100, 4800], // the 48 break: 100; 100 × 48
      ['blank', 48, 125, 6000], // 100 + 25% = 125; 125 × 48
      ['screens', 1, 0, 0], // waived: 48 is at least 48
    ])
    assert.match(quote.lines[2]!.description, /waived/)
    assert.equal(quote.subtotal_cents, 10800) // 4800 + 6000
    assert.ok(quote.assumptions.some((line) => /screens waived/.test(line)))
  })
})

describe('choosing the quantity break', () => {
  it('uses a break from exactly its low end', () => {
    const at = (pieces: number) => quoteOf([tee({ sizes: { M: pieces } })])

    assert.equal(at(12).items[0]?.break_low, 12)
    assert.equal(at(23).items[0]?.break_low, 12)
    assert.equal(at(23).items[0]?.per_piece_cents, 300) // 1 colour at 12
    assert.equal(at(24).items[0]?.break_low, 24)
    assert.equal(at(24).items[0]?.per_piece_cents, 200) // 1 colour at 24
    assert.equal(at(48).items[0]?.break_low, 48)
    assert.equal(at(900).items[0]?.per_piece_cents, 100) // last break
  })
})

describe('pricing a rush', () => {
  // 13 pieces, 1 colour: print 300, blank 1 + 50% = 1.5, rounded up to 2,
  // so 302 a piece; 302 × 13 = 3926, + 2000 screens = 5926.
  const rushed = tee({ sizes: { M: 13 }, blank_cost_cents: 1 })

  it('adds the tier a needed-by date falls in', () => {
    const quote = quoteOf([rushed], { needed_by: '2026-12-06' })

    assert.equal(quote.subtotal_cents, 5926)
    assert.equal(quote.rush_percent, 25) // 5 days: within 7
    assert.equal(quote.rush_cents, 1482) // 5926 × 25 / 100 = 1481.5, up
    assert.equal(quote.total_cents, 7408) // 5926 + 1482
    assert.deepEqual(linesOf(quote).at(-1), ['rush', 1, 1482, 1482])
    assert.equal(quote.lines.at(-1)?.item, null)
  })

  it('takes the fastest tier a date falls in, its last day included', () => {
    const quote = quoteOf([rushed], { needed_by: '2026-12-04' })

    assert.equal(quote.rush_percent, 50) // 3 days: within 3
    assert.equal(quote.rush_cents, 2963) // 5926 × 50 / 100
  })

  it('takes the fastest tier when the request asks for a rush', () => {
    const quote = quoteOf([rushed], { rush: true })

    assert.equal(quote.rush_percent, 50)
    assert.equal(quote.rush_cents, 2963) // 5926 × 50 / 100
    assert.equal(quote.total_cents, 8889) // 5926 + 2963
  })

  it('adds no rush when the date is far enough away', () => {
    const quote = quoteOf([rushed], { needed_by: '2026-12-31' })

    assert.equal(quote.rush_percent, 0) // 30 days: standard is 10
    assert.equal(quote.rush_cents, 0)
    assert.equal(quote.total_cents, 5926)
    assert.ok(quote.lines.every((line) => line.kind !== 'rush'))
  })

  it('adds no rush for a date between the slowest tier and standard', () => {
    const quote = quoteOf([rushed], { needed_by: '2026-12-09' })

    assert.equal(quote.rush_percent, 0) // 8 days: over 7, under 10
    assert.ok(quote.assumptions.some((line) => /confirm/.test(line)))
  })
})

describe('pricing several items', () => {
  it('adds every item into the subtotal', () => {
    const quote = quoteOf([
      tee({ sizes: { S: 4, M: 4, L: 4 }, blank_cost_cents: 325 }),
      tee({ blank_cost_cents: 200, sizes: { L: 10, '2XL': 1, '3XL': 1 } }),
    ])

    assert.deepEqual(
      quote.items.map((item) => [item.index, item.lines_total_cents]),
      [
        [1, 11456], // as in the light garment above
        [2, 9700], // as in the large sizes above
      ],
    )
    assert.equal(quote.subtotal_cents, 21156) // 11456 + 9700
  })
})

describe('refusing a quote the price list cannot price', () => {
  it('refuses an item below the minimum quantity', () => {
    refusal(
      { items: [tee({ sizes: { M: 8, L: 3 } })], rush: false },
      'minimum_quantity',
      /^item 1 \(Gildan 5000\): 11 pieces, below the minimum of 12 per item/,
    )
  })

  it('refuses more colours than the list prints, underbase included', () => {
    const item = tee({ dark: true, locations: [{ name: 'front', colours: 3 }] })

    refusal(
      { items: [item], rush: false },
      'max_colours',
      new RegExp(
        '^item 1 front: 3 colours plus underbase makes 4, ' +
          'the price list prints at most 3',
      ),
    )
  })

  it('refuses a needed-by date that has passed', () => {
    refusal(
      { items: [tee()], rush: false, needed_by: '2026-11-30' },
      'needed_by',
      /needed_by 2026-11-30 is 1 day before today \(2026-12-01\)/,
    )
  })
})

describe('amounts', () => {
  it('are integer cents, each line its quantity times its unit', () => {
    const awkward = tee({
      dark: true,
      blank_cost_cents: 333, // + 50% = 499.5, + 40% = 466.2, + 25% = 416.25
      sizes: { S: 5, M: 7, '2XL': 3 },
      locations: [
        { name: 'front', colours: 2 },
        { name: 'left_sleeve', colours: 1 },
      ],
    })
    const quotes = [
      quoteOf([awkward], { rush: true }),
      quoteOf([{ ...awkward, sizes: { M: 33 } }], { needed_by: '2026-12-07' }),
      quoteOf([{ ...awkward, sizes: { M: 51 } }]),
    ]

    for (const quote of quotes) {
      const amounts = [
        quote.subtotal_cents,
        quote.rush_cents,
        quote.total_cents,
        ...quote.items.flatMap((item) => [
          item.per_piece_cents,
          item.lines_total_cents,
        ]),
        ...quote.lines.flatMap((line) => [line.unit_cents, line.amount_cents]),
      ]

      assert.ok(amounts.every(Number.isInteger), amounts.join(', '))
      for (const line of quote.lines) {
        assert.equal(line.amount_cents, line.quantity * line.unit_cents)
      }
    }
  })
})

describe('pricing with the shipped price list', () => {
  it('prices a dark two-location tee with a 2XL and a rush', () => {
    const shipped = loadPriceList(
      path.resolve(
        path.dirname(fileURLToPath(import.meta.url)),
        '../pricing/price-list.yaml',
      ),
    )
    const request: QuoteRequest = {
      items: [
        tee({
          colour: 'Black',
          dark: true,
          blank_cost_cents: 325,
          sizes: { S: 10, M: 20, L: 14, '2XL': 4 },
          locations: [
            { name: 'front', colours: 3 },
            { name: 'back', colours: 1 },
          ],
        }),
      ],
      rush: false,
      needed_by: '2026-12-20',
    }

    const quote = priceQuote(request, shipped, '2026-12-15')

    // 48 pieces: the 48 break. Front 3 + 1 = 4 colours is first, back
    // 1 + 1 = 2 is extra. Print 370 + 210, flash 25 × 2 = 50, blank
    // 325 + 50% = 487.5, rounded up to 488: 370 + 210 + 50 + 488 = 1118.
    assert.equal(quote.items[0]?.per_piece_cents, 1118)
    // 1118 × 48 = 53664; 2XL 4 × 200 = 800; screens (4 + 2) × 2500 = 15000
    assert.equal(quote.subtotal_cents, 69464) // 53664 + 800 + 15000
    assert.equal(quote.rush_percent, 25) // 5 days away: within 7
    assert.equal(quote.rush_cents, 17366) // 69464 × 25 / 100
    assert.equal(quote.total_cents, 86830) // 69464 + 17366
    assert.equal(quote.price_list_version, '2026-12-01')
  })
})
