import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { HttpProblem } from '../src/http/problem.js'
import { loadPriceList } from '../src/pricing/price-list.js'
import {
  readQuoteRequest,
  type RequestFieldProblem,
} from '../src/pricing/quote-request.js'

const PRICES = loadPriceList(
  path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../pricing/price-list.yaml',
  ),
)

/** A sound request body with one item, as a sender would post it. */
function body(): Record<string, any> {
  return {
    customer: 'Riverside Rowing Club',
    items: [
      {
        style: 'Gildan 5000',
        colour: 'Black',
        blank_cost_cents: 325,
        sizes: { S: 10, M: 20 },
        locations: [
          { name: 'front', colours: 3 },
          { name: 'back', colours: 1 },
        ],
      },
    ],
  }
}

/** The `errors` of the 422 refusing `sent`. */
function problemsOf(sent: Record<string, unknown>): RequestFieldProblem[] {
  try {
    readQuoteRequest(sent, PRICES)
  } catch (error) {
    assert.ok(error instanceof HttpProblem)
    assert.equal(error.status, 422)
    assert.equal(error.slug, 'invalid-quote-request')

    return error.extensions.errors as RequestFieldProblem[]
  }

  return assert.fail('the request was accepted')
}

/** The one problem of the body after `change`, checked to be at `field`. */
function problemAt(
  field: string,
  change: (sent: Record<string, any>) => void,
): string {
  const sent = body()
  change(sent)
  const problems = problemsOf(sent)

  assert.deepEqual(
    problems.map((problem) => problem.field),
    [field],
  )

  return problems[0]!.problem
}

describe('reading a quote request', () => {
  it('reads a sound request and fills in the defaults', () => {
    const sent = body()
    sent.items[0].sizes = { m: 12, XXL: 2 }
    sent.items[0].locations[0].name = 'Left Chest'
    sent.sales_channel = 'website'

    const request = readQuoteRequest(sent, PRICES)

    assert.deepEqual(request, {
      customer: 'Riverside Rowing Club',
      items: [
        {
          style: 'Gildan 5000',
          colour: 'Black',
          dark: false,
          blank_cost_cents: 325,
          sizes: { M: 12, '2XL': 2 },
          locations: [
            { name: 'left_chest', colours: 3 },
            { name: 'back', colours: 1 },
          ],
        },
      ],
      rush: false,
    })
  })

  it('keeps a rush, a dark garment and a needed-by date as sent', () => {
    const sent = body()
    sent.rush = true
    sent.needed_by = '2026-12-20'
    sent.items[0].dark = true

    const request = readQuoteRequest(sent, PRICES)

    assert.equal(request.rush, true)
    assert.equal(request.needed_by, '2026-12-20')
    assert.equal(request.items[0]?.dark, true)
  })
})

describe('refusing a quote request', () => {
  it('refuses a blank cost with a decimal point, asking for cents', () => {
    const problem = problemAt('items.0.blank_cost_cents', (sent) => {
      sent.items[0].blank_cost_cents = 3.25
    })

    assert.match(problem, /integer cents.*got 3\.25/)
  })

  it('refuses an unknown location, listing the known ones', () => {
    const problem = problemAt('items.0.locations.1.name', (sent) => {
      sent.items[0].locations[1].name = 'collar'
    })

    assert.match(problem, /unknown location "collar".*front, back, left_chest/)
  })

  it('refuses a location named twice', () => {
    const problem = problemAt('items.0.locations.1.name', (sent) => {
      sent.items[0].locations[1].name = 'front'
    })

    assert.match(problem, /"front" is already a location of this item/)
  })

  it('refuses no colours at a location', () => {
    const problem = problemAt('items.0.locations.1.colours', (sent) => {
      sent.items[0].locations[1].colours = 0
    })

    assert.match(problem, /1 or more, got 0/)
  })

  it('refuses empty sizes', () => {
    const problem = problemAt('items.0.sizes', (sent) => {
      sent.items[0].sizes = {}
    })

    assert.match(problem, /at least one size/)
  })

  it('refuses sizes that add up to no pieces', () => {
    const problem = problemAt('items.0.sizes', (sent) => {
      sent.items[0].sizes = { S: 0, M: 0 }
    })

    assert.match(problem, /add up to 0 pieces/)
  })

  it('refuses one size sent under two names', () => {
    const problem = problemAt('items.0.sizes.XXL', (sent) => {
      sent.items[0].sizes = { '2XL': 3, XXL: 2 }
    })

    assert.match(problem, /same size as "2XL"/)
  })

  it('refuses a needed-by date not written YYYY-MM-DD', () => {
    const problem = problemAt('needed_by', (sent) => {
      sent.needed_by = '12/20/2026'
    })

    assert.match(problem, /YYYY-MM-DD.*got "12\/20\/2026"/)
  })

  it('refuses a needed-by date that is not on the calendar', () => {
    const problem = problemAt('needed_by', (sent) => {
      sent.needed_by = '2026-02-30'
    })

    assert.match(problem, /"2026-02-30" is not a day of the calendar/)
  })

  it('refuses a request with no items', () => {
    const problem = problemAt('items', (sent) => {
      sent.items = []
    })

    assert.match(problem, /at least one item/)
  })

  it('refuses a request without items', () => {
    const problem = problemAt('items', (sent) => {
      delete sent.items
    })

    assert.match(problem, /is missing/)
  })

  it('refuses more than 50 items', () => {
    const problem = problemAt('items', (sent) => {
      sent.items = Array.from({ length: 51 }, () => body().items[0])
    })

    assert.match(problem, /lists 51 items.*at most 50/)
  })

  it('reports every problem of one body together', () => {
    const sent = body()
    sent.items[0].blank_cost_cents = 3.25
    sent.items[0].sizes = {}
    sent.items[0].locations = [
      { name: 'collar', colours: 1 },
      { name: 'back', colours: 1 },
      { name: 'back', colours: 2 },
    ]
    sent.rush = 'yes'
    sent.needed_by = 'next friday'

    const error = (() => {
      try {
        readQuoteRequest(sent, PRICES)
      } catch (caught) {
        return caught as HttpProblem
      }
    })()

    const errors = error?.extensions.errors as RequestFieldProblem[]
    assert.deepEqual(
      errors.map((problem) => problem.field),
      [
        'items.0.blank_cost_cents',
        'items.0.sizes',
        'items.0.locations.0.name',
        'items.0.locations.2.name',
        'rush',
        'needed_by',
      ],
    )
    assert.equal(
      error?.detail,
      errors.map((each) => `${each.field}: ${each.problem}`).join('; '),
    )
  })
})
