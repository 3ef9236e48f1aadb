/**
 * A small price list of round numbers, so that every expected amount in the
 * pricing tests can be checked by hand.
 */
import { parsePriceList } from '../../src/pricing/price-list.js'

export const ROUND_PRICES = parsePriceList(
  `
version: test-1
currency: USD
minimum_quantity: 12
quantity_breaks: [12, 24, 48]
print_rates:
  1: [300, 200, 100]
  2: [400, 300, 200]
  3: [500, 400, 300]
extra_location_rates:
  1: [150, 100, 50]
  2: [200, 150, 100]
  3: [250, 200, 150]
locations: [front, back, left_sleeve]
screens:
  fee_per_colour_cents: 2000
  waived_from_quantity: 48
dark_garments:
  underbase_colours: 1
  flash_charge_cents: 30
blanks:
  markup_percent: [50, 40, 25]
size_upcharges_cents:
  2XL: 200
  3XL: 300
rush:
  standard_days: 10
  tiers:
    - within_days: 3
      percent: 50
    - within_days: 7
      percent: 25
`,
  'test-price-list.yaml',
)
