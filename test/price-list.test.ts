import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { stringify } from 'yaml'

import {
  canonicalSize,
  loadPriceList,
  parsePriceList,
  PriceListError,
} from '../src/pricing/price-list.js'

const SHIPPED = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../pricing/price-list.yaml',
)

const SOURCE = 'pricing/price-list.yaml'

/** A small, sound price list as the YAML parser would hand it over. */
function soundList(): Record<string, any> {
  return {
    version: '2026-12-01',
    currency: 'USD',
    minimum_quantity: 12,
    quantity_breaks: [12, 24, 48],
    print_rates: { 1: [300, 200, 100], 2: [400, 300, 200] },
    extra_location_rates: { 1: [150, 100, 50], 2: [200, 150, 100] },
    locations: ['front', 'back'],
    screens: { fee_per_colour_cents: 2000, waived_from_quantity: 48 },
    dark_garments: { underbase_colours: 1, flash_charge_cents: 30 },
    blanks: { markup_percent: [50, 40, 25] },
    size_upcharges_cents: { '2XL': 200 },
    rush: {
      standard_days: 10,
      tiers: [
        { within_days: 3, percent: 50 },
        { within_days: 7, percent: 25 },
      ],
    },
  }
}

/** The problems of the sound list after `change` has spoiled it. */
function problemsAfter(change: (list: Record<string, any>) => void) {
  const list = soundList()
  change(list)

  return problemsOf(stringify(list))
}

function problemsOf(text: string): string[] {
  try {
    parsePriceList(text, SOURCE)
  } catch (error) {
    assert.ok(error instanceof PriceListError)
    assert.equal(error.message, error.problems.join('\n'))

    return [...error.problems]
  }

  return assert.fail('the price list was accepted')
}

describe('the shipped price list', () => {
  it('loads without problems', () => {
    const list = loadPriceList(SHIPPED)

    assert.equal(list.currency, 'USD')
    assert.equal(list.minimum_quantity, 12)
    assert.deepEqual(list.quantity_breaks, [12, 24, 48, 72, 144, 288, 500])
    assert.equal(list.max_colours, 6)
    assert.equal(list.print_rates.length, 6)
    assert.ok(list.locations.includes('left_chest'))
  })
})

describe('reading a price list', () => {
  it('keeps the colour rows in order, one row per colour count', () => {
    const list = parsePriceList(stringify(soundList()), SOURCE)

    assert.equal(list.max_colours, 2)
    assert.deepEqual(list.print_rates, [
      [300, 200, 100],
      [400, 300, 200],
    ])
    assert.deepEqual(list.extra_location_rates[1], [200, 150, 100])
  })

  it('names size upcharges the way requests are compared with them', () => {
    const list = parsePriceList(
      stringify({ ...soundList(), size_upcharges_cents: { xxl: 200 } }),
      SOURCE,
    )

    assert.deepEqual(list.size_upcharges_cents, { '2XL': 200 })
    assert.equal(canonicalSize(' xxxl '), '3XL')
    assert.equal(canonicalSize('xl'), 'XL')
  })

  it('takes a version written as a bare number as text', () => {
    const list = parsePriceList(
      stringify({ ...soundList(), version: 7 }),
      SOURCE,
    )

    assert.equal(list.version, '7')
  })
})

describe('refusing a price list', () => {
  it('refuses a table with fewer prices than there are breaks', () => {
    const problems = problemsAfter((list) => {
      list.print_rates[2] = [400, 300]
    })

    assert.deepEqual(problems, [
      `${SOURCE}: print_rates 2: has 2 prices, but quantity_breaks has 3 ` +
        `breaks; give one for each break, in the same order`,
    ])
  })

  it('refuses breaks that do not rise', () => {
    const problems = problemsAfter((list) => {
      list.quantity_breaks = [12, 48, 24]
    })

    assert.deepEqual(problems.length, 1)
    assert.match(problems[0]!, /quantity_breaks: 24 follows 48/)
  })

  it('refuses a first break above the minimum quantity', () => {
    const problems = problemsAfter((list) => {
      list.quantity_breaks = [24, 36, 48]
    })

    assert.match(
      problems.join('\n'),
      /quantity_breaks: the first break is 24, above minimum_quantity 12/,
    )
  })

  it('refuses a gap in the colour rows', () => {
    const problems = problemsAfter((list) => {
      list.print_rates = { 1: [300, 200, 100], 3: [500, 400, 300] }
    })

    assert.match(
      problems.join('\n'),
      /print_rates: the colour rows must be numbered 1, 2, 3 .*got 1, 3/,
    )
  })

  it('refuses extra location rates with other colour rows', () => {
    const problems = problemsAfter((list) => {
      delete list.extra_location_rates[2]
    })

    assert.deepEqual(problems, [
      `${SOURCE}: extra_location_rates: has colour rows 1, but print_rates ` +
        `has 1, 2; give both tables the same rows`,
    ])
  })

  it('refuses cents with a decimal point', () => {
    const problems = problemsAfter((list) => {
      list.screens.fee_per_colour_cents = 20.5
    })

    assert.match(
      problems[0]!,
      /screens\.fee_per_colour_cents: must be whole cents.*got 20\.5/,
    )
  })

  it('refuses negative cents inside a table, naming the row and entry', () => {
    const problems = problemsAfter((list) => {
      list.extra_location_rates[1] = [150, -100, 50]
    })

    assert.match(
      problems[0]!,
      /extra_location_rates 1 entry 2: must be whole cents.*got -100/,
    )
  })

  it('refuses a percent that is not whole or above 1000', () => {
    const problems = problemsAfter((list) => {
      list.blanks.markup_percent = [50, 40.5, 1200]
    })

    assert.deepEqual(problems.length, 2)
    assert.match(problems[0]!, /blanks\.markup_percent entry 2: .*got 40\.5/)
    assert.match(problems[1]!, /blanks\.markup_percent entry 3: .*got 1200/)
  })

  it('refuses markups that are not one per break', () => {
    const problems = problemsAfter((list) => {
      list.blanks.markup_percent = [50, 40]
    })

    assert.match(
      problems[0]!,
      /blanks\.markup_percent: has 2 percents, but quantity_breaks has 3/,
    )
  })

  it('refuses rush tiers out of order', () => {
    const problems = problemsAfter((list) => {
      list.rush.tiers.reverse()
    })

    assert.match(problems.join('\n'), /rush\.tiers: within_days 3 follows 7/)
  })

  it('refuses a rush tier that is never reached', () => {
    const problems = problemsAfter((list) => {
      list.rush.tiers[1].within_days = 10
    })

    assert.match(
      problems[0]!,
      /rush\.tiers entry 2 within_days: 10 is not under standard_days 10/,
    )
  })

  it('refuses a slower rush tier that costs more', () => {
    const problems = problemsAfter((list) => {
      list.rush.tiers[1].percent = 60
    })

    assert.match(problems[0]!, /rush\.tiers entry 2 percent: 60 is more/)
  })

  it('refuses a minimum quantity below 1', () => {
    const problems = problemsAfter((list) => {
      list.minimum_quantity = 0
    })

    assert.match(problems[0]!, /minimum_quantity: .*1 or more, got 0/)
  })

  it('refuses a currency that is not three capital letters', () => {
    const problems = problemsAfter((list) => {
      list.currency = 'usd'
    })

    assert.match(problems[0]!, /currency: .*"USD", got "usd"/)
  })

  it('refuses a location listed twice', () => {
    const problems = problemsAfter((list) => {
      list.locations = ['front', 'back', 'front']
    })

    assert.match(problems[0]!, /locations: "front" and "front" are the same/)
  })

  it('refuses a missing field and an unknown one', () => {
    const problems = problemsAfter((list) => {
      delete list.screens.waived_from_quantity
      list.screen_fee = 2000
    })

    assert.equal(problems.length, 2)
    assert.match(problems[0]!, /screens\.waived_from_quantity: is missing/)
    assert.match(
      problems[1]!,
      /unknown field "screen_fee"; the fields here are version, currency/,
    )
  })

  it('lists every problem of the file, one a line', () => {
    const problems = problemsAfter((list) => {
      list.currency = 'dollars'
      list.dark_garments.flash_charge_cents = 2.5
      list.rush.standard_days = 'ten'
    })

    assert.equal(problems.length, 3)
    assert.ok(problems.every((line) => line.startsWith(`${SOURCE}: `)))
  })

  it('points at the line of a YAML syntax error', () => {
    const problems = problemsOf('version: "2026\nlocations: [front\n')

    assert.match(problems[0]!, /^pricing\/price-list\.yaml: the YAML .*line/)
  })

  it('refuses an empty file', () => {
    const problems = problemsOf('')

    assert.match(problems[0]!, /the file must be a mapping of fields/)
  })
})

describe('loading a price list', () => {
  it('names the path and PRICE_LIST when the file cannot be read', () => {
    const missing = path.join(
      mkdtempSync(path.join(tmpdir(), 'price-list-')),
      'prices.yaml',
    )

    assert.throws(
      () => loadPriceList(missing),
      (error: unknown) => {
        assert.ok(error instanceof PriceListError)
        assert.ok(error.message.includes(missing))
        assert.match(error.message, /does not exist.*PRICE_LIST/)

        return true
      },
    )
  })

  it('names the file it read in front of each problem', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'price-list-'))
    const file = path.join(folder, 'prices.yaml')
    writeFileSync(file, stringify({ ...soundList(), currency: 'usd' }))

    assert.throws(() => loadPriceList(file), /prices\.yaml: currency: /)
  })
})
