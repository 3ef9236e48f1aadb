/**
 * Quote pricing: turns a checked quote request into a priced quote with
 * the price list. Each item is priced per piece (print, flash, marked-up
 * blank) at its quantity break, plus its large-size upcharges and its
 * screens; a rush adds a percent of the subtotal. All arithmetic is on
 * integer cents, and every halving rounds half a cent up.
 */
import { canonicalSize, type PriceList, type RushTier } from './price-list.js'
import type { QuoteItem, QuoteRequest } from './quote-request.js'

/** Which limit of the price list a quote ran into. */
export type PricingLimit = 'minimum_quantity' | 'max_colours' | 'needed_by'

/** Raised for a well-formed request the price list cannot price. */
export class UnpriceableQuoteError extends Error {
  override name = 'UnpriceableQuoteError'

  constructor(
    /** The limit that was reached, as named in the price list. */
    readonly limit: PricingLimit,
    message: string,
  ) {
    super(message)
  }
}

/** What a quote line charges for. */
export type QuoteLineKind =
  'print' | 'flash' | 'blank' | 'size_upcharge' | 'screens' | 'rush'

/** One line of a priced quote; `amount_cents = quantity × unit_cents`. */
export interface QuoteLine {
  /** The item's `index`, or null for a line about the whole quote. */
  item: number | null
  kind: QuoteLineKind
  description: string
  /** Pieces, screens, or 1 for the rush. */
  quantity: number
  unit_cents: number
  amount_cents: number
}

/** The totals of one item of a priced quote. */
export interface PricedItem {
  /** 1 for the first item, as descriptions and assumptions count them. */
  index: number
  style: string
  colour: string
  /** Pieces, all sizes together. */
  quantity: number
  /** Low end in pieces of the quantity break the item was priced at. */
  break_low: number
  /** Print, flash and marked-up blank of one piece, in cents. */
  per_piece_cents: number
  /** The item's lines together: pieces, size upcharges and screens. */
  lines_total_cents: number
}

/** A priced quote, sent as JSON. Every amount is in integer cents. */
export interface PricedQuote {
  currency: string
  price_list_version: string
  items: PricedItem[]
  lines: QuoteLine[]
  subtotal_cents: number
  /** Whole percent of the subtotal added for the rush; 0 for none. */
  rush_percent: number
  rush_cents: number
  total_cents: number
  /** What the pricing took for granted, in words, for a person to check. */
  assumptions: string[]
}

/**
 * Prices `request` with `priceList`.
 *
 * @param today the shop's date as `YYYY-MM-DD`; the needed-by date is
 *   counted in calendar days from it.
 * @throws UnpriceableQuoteError when an item has fewer pieces than the
 *   minimum or more colours than the list prints, or the needed-by date
 *   has passed.
 * @throws RangeError when `today` is not written `YYYY-MM-DD`.
 */
export function priceQuote(
  request: QuoteRequest,
  priceList: PriceList,
  today: string,
): PricedQuote {
  const daysLeft = daysUntilNeeded(request.needed_by, today)
  const items = request.items.map((item, position) =>
    priceItem(item, position + 1, priceList),
  )
  const subtotal = sum(items.map((item) => item.summary.lines_total_cents))
  const rush = chooseRush(request, priceList.rush, daysLeft)
  const rushCents = percentOf(subtotal, rush.percent)
  const rushLines = rush.percent === 0 ? [] : [rushLine(rush, rushCents)]

  return {
    currency: priceList.currency,
    price_list_version: priceList.version,
    items: items.map((item) => item.summary),
    lines: [...items.flatMap((item) => item.lines), ...rushLines],
    subtotal_cents: subtotal,
    rush_percent: rush.percent,
    rush_cents: rushCents,
    total_cents: subtotal + rushCents,
    assumptions: [
      `priced with price list ${priceList.version}, amounts in ` +
        `${priceList.currency} cents`,
      ...items.flatMap((item) => item.assumptions),
      rush.reason,
    ],
  }
}

// ------------------------------------------------------------------ items

interface ItemPricing {
  summary: PricedItem
  lines: QuoteLine[]
  assumptions: string[]
}

/** A print location as priced: colours include the underbase. */
interface PricedLocation {
  name: string
  /** Colours as the request sent them. */
  sent: number
  colours: number
  unit_cents: number
}

function priceItem(
  item: QuoteItem,
  index: number,
  priceList: PriceList,
): ItemPricing {
  const label = `item ${index} (${item.style})`
  const quantity = countPieces(item, label, priceList.minimum_quantity)
  const breakIndex = findBreak(quantity, priceList.quantity_breaks)
  const locations = priceLocations(item, index, priceList, breakIndex)
  const perPiece: PieceLine[] = [
    ...locations.map((location) => printLine(index, location)),
    ...flashLines(item, index, locations.length, priceList),
    blankLine(item, index, priceList.blanks.markup_percent[breakIndex] ?? 0),
  ]
  const lines = [
    ...perPiece.map((line) => times(line, quantity)),
    ...upchargeLines(item, index, priceList.size_upcharges_cents),
    screensLine(index, quantity, locations, priceList.screens),
  ]

  return {
    summary: {
      index,
      style: item.style,
      colour: item.colour,
      quantity,
      break_low: priceList.quantity_breaks[breakIndex] ?? 0,
      per_piece_cents: sum(perPiece.map((line) => line.unit_cents)),
      lines_total_cents: sum(lines.map((line) => line.amount_cents)),
    },
    lines,
    assumptions: describeItem(label, item, quantity, locations, priceList),
  }
}

function countPieces(item: QuoteItem, label: string, minimum: number) {
  const quantity = sum(Object.values(item.sizes))
  if (quantity < minimum) {
    throw new UnpriceableQuoteError(
      'minimum_quantity',
      `${label}: ${quantity} pieces, below the minimum of ${minimum} per ` +
        `item; add pieces or ask the shop about a small run`,
    )
  }

  return quantity
}

/**
 * The index of the last break whose low end is at most `quantity`; the
 * breaks rise, so it is the number of such breaks less one.
 */
function findBreak(quantity: number, breaks: number[]): number {
  return breaks.filter((low) => low <= quantity).length - 1
}

/**
 * The item's locations with the underbase added, most colours first (ties
 * keep the order sent), each with its per-piece rate: the first from
 * `print_rates`, the rest from `extra_location_rates`.
 */
function priceLocations(
  item: QuoteItem,
  index: number,
  priceList: PriceList,
  breakIndex: number,
): PricedLocation[] {
  const underbase = item.dark ? priceList.dark_garments.underbase_colours : 0
  const withUnderbase = item.locations.map((location) => {
    const colours = location.colours + underbase
    if (colours > priceList.max_colours) {
      throw tooManyColours(index, location.name, location.colours, colours, {
        underbase,
        max: priceList.max_colours,
      })
    }

    return { name: location.name, sent: location.colours, colours }
  })
  // Array sort is stable, so locations with equal colours keep their order.
  const ordered = [...withUnderbase].sort((a, b) => b.colours - a.colours)

  return ordered.map((location, position) => {
    const table =
      position === 0 ? priceList.print_rates : priceList.extra_location_rates
    const rate = table[location.colours - 1]?.[breakIndex] ?? 0

    return { ...location, unit_cents: rate }
  })
}

function tooManyColours(
  index: number,
  name: string,
  asked: number,
  priced: number,
  limits: { underbase: number; max: number },
): UnpriceableQuoteError {
  const count =
    limits.underbase === 0
      ? `${asked} colours`
      : `${asked} colours plus underbase makes ${priced}`

  return new UnpriceableQuoteError(
    'max_colours',
    `item ${index} ${name}: ${count}, the price list prints at most ` +
      `${limits.max}; reduce the colours or ask the shop about a ` +
      `simulated-process print`,
  )
}

// ------------------------------------------------------------------ lines

type PieceLine = Omit<QuoteLine, 'quantity' | 'amount_cents'>

function times(line: PieceLine, quantity: number): QuoteLine {
  return { ...line, quantity, amount_cents: line.unit_cents * quantity }
}

function printLine(index: number, location: PricedLocation): PieceLine {
  const added = location.colours - location.sent
  const colours =
    added === 0
      ? plural(location.colours, 'colour')
      : `${plural(location.colours, 'colour')} ` +
        `(${location.sent} + ${added} underbase)`

  return {
    item: index,
    kind: 'print',
    description: `print ${location.name}, ${colours}`,
    unit_cents: location.unit_cents,
  }
}

function flashLines(
  item: QuoteItem,
  index: number,
  locationCount: number,
  priceList: PriceList,
): PieceLine[] {
  if (!item.dark) return []

  const perLocation = priceList.dark_garments.flash_charge_cents

  return [
    {
      item: index,
      kind: 'flash',
      description:
        `flash cure for a dark garment, ${plural(locationCount, 'location')}` +
        ` at ${perLocation} cents each`,
      unit_cents: perLocation * locationCount,
    },
  ]
}

function blankLine(
  item: QuoteItem,
  index: number,
  markupPercent: number,
): PieceLine {
  const cost = item.blank_cost_cents

  return {
    item: index,
    kind: 'blank',
    description:
      `blank ${item.style} ${item.colour}, ${cost} cents plus ` +
      `${markupPercent}% markup`,
    unit_cents: percentOf(cost, 100 + markupPercent),
  }
}

function upchargeLines(
  item: QuoteItem,
  index: number,
  upcharges: Record<string, number>,
): QuoteLine[] {
  return Object.entries(item.sizes).flatMap(([size, pieces]) => {
    const upcharge = upcharges[canonicalSize(size)] ?? 0
    if (upcharge === 0 || pieces === 0) return []

    const line: PieceLine = {
      item: index,
      kind: 'size_upcharge',
      description: `${size} upcharge`,
      unit_cents: upcharge,
    }

    return [times(line, pieces)]
  })
}

function screensLine(
  index: number,
  quantity: number,
  locations: PricedLocation[],
  screens: PriceList['screens'],
): QuoteLine {
  const count = sum(locations.map((location) => location.colours))
  const perLocation = locations
    .map((location) => `${location.colours} ${location.name}`)
    .join(' + ')
  const waived = quantity >= screens.waived_from_quantity
  const line: PieceLine = {
    item: index,
    kind: 'screens',
    description: waived
      ? `screens (${perLocation}), waived from ` +
        `${screens.waived_from_quantity} pieces`
      : `screens (${perLocation})`,
    unit_cents: waived ? 0 : screens.fee_per_colour_cents,
  }

  return times(line, count)
}

function describeItem(
  label: string,
  item: QuoteItem,
  quantity: number,
  locations: PricedLocation[],
  priceList: PriceList,
): string[] {
  const breaks = priceList.quantity_breaks
  const breakIndex = findBreak(quantity, breaks)
  const low = breaks[breakIndex]
  const next = breaks[breakIndex + 1]
  const span = next === undefined ? `${low} and up` : `${low} to ${next - 1}`
  const notes = [`${label}: ${quantity} pieces, priced at the ${span} break`]

  if (item.dark) {
    const underbase = priceList.dark_garments.underbase_colours
    notes.push(
      `${label}: dark garment, so each location prints ` +
        `${plural(underbase, 'underbase colour')} more, with a screen of ` +
        `its own, and is flashed`,
    )
  }
  const [first, ...extra] = locations
  if (first !== undefined && extra.length > 0) {
    notes.push(
      `${label}: ${first.name} has the most colours ` +
        `(${first.colours}), so it is priced as the first location; ` +
        `${extra.map((location) => location.name).join(', ')} as extra`,
    )
  }
  notes.push(...describeScreens(label, quantity, priceList.screens))
  notes.push(...describeUpcharges(label, item, priceList))

  return notes
}

function describeScreens(
  label: string,
  quantity: number,
  screens: PriceList['screens'],
): string[] {
  const from = screens.waived_from_quantity

  return [
    quantity >= from
      ? `${label}: screens waived, as ${quantity} pieces is at least ${from}`
      : `${label}: screens charged, as ${quantity} pieces is under the ` +
        `${from} that waives them`,
  ]
}

function describeUpcharges(
  label: string,
  item: QuoteItem,
  priceList: PriceList,
): string[] {
  const upcharged = Object.entries(item.sizes)
    .filter(([size, pieces]) => {
      const upcharge = priceList.size_upcharges_cents[canonicalSize(size)]

      return pieces > 0 && (upcharge ?? 0) > 0
    })
    .map(([size]) => size)
  if (upcharged.length === 0) return []

  return [
    `${label}: the upcharge for ${upcharged.join(', ')} is charged on ` +
      `lines of its own, not in the per-piece price`,
  ]
}

// ------------------------------------------------------------------- rush

interface RushChoice {
  percent: number
  /** Why, in words, for the assumptions. */
  reason: string
  tier?: RushTier
}

function chooseRush(
  request: QuoteRequest,
  rush: PriceList['rush'],
  daysLeft: number | undefined,
): RushChoice {
  const fastest = rush.tiers[0]
  if (request.rush && fastest !== undefined) {
    return {
      percent: fastest.percent,
      reason:
        `rush requested: the fastest tier, within ` +
        `${plural(fastest.within_days, 'day')}, adds ${fastest.percent}%`,
      tier: fastest,
    }
  }
  if (daysLeft === undefined) {
    return {
      percent: 0,
      reason:
        `no needed-by date: priced at the standard lead time of ` +
        `${plural(rush.standard_days, 'day')}, no rush`,
    }
  }

  return rushByDate(request.needed_by ?? '', daysLeft, rush)
}

function rushByDate(
  neededBy: string,
  daysLeft: number,
  rush: PriceList['rush'],
): RushChoice {
  const standard = plural(rush.standard_days, 'day')
  const when = `needed by ${neededBy}, ${plural(daysLeft, 'day')} away`
  if (daysLeft >= rush.standard_days) {
    return {
      percent: 0,
      reason: `${when}: the standard lead time of ${standard} is met, no rush`,
    }
  }

  const tier = rush.tiers.find((each) => daysLeft <= each.within_days)
  if (tier === undefined) {
    return {
      percent: 0,
      reason:
        `${when}: under the standard ${standard} but slower than every ` +
        `rush tier, so no rush charge; confirm the shop can make the date`,
    }
  }

  return {
    percent: tier.percent,
    reason:
      `${when}, under the standard ${standard}: the rush tier within ` +
      `${plural(tier.within_days, 'day')} adds ${tier.percent}%`,
    tier,
  }
}

function rushLine(rush: RushChoice, cents: number): QuoteLine {
  const within = rush.tier
    ? `, within ${plural(rush.tier.within_days, 'day')}`
    : ''

  return {
    item: null,
    kind: 'rush',
    description: `rush ${rush.percent}% of the subtotal${within}`,
    quantity: 1,
    unit_cents: cents,
    amount_cents: cents,
  }
}

// ------------------------------------------------------------ arithmetic

/**
 * Calendar days from `today` to `neededBy`, or undefined without a date.
 *
 * @throws UnpriceableQuoteError when `neededBy` is before `today`.
 */
function daysUntilNeeded(
  neededBy: string | undefined,
  today: string,
): number | undefined {
  if (neededBy === undefined) return undefined

  const days = (dayNumber(neededBy) - dayNumber(today)) / 86_400_000
  if (days < 0) {
    throw new UnpriceableQuoteError(
      'needed_by',
      `needed_by ${neededBy} is ${plural(-days, 'day')} before today ` +
        `(${today}); send a date from today on`,
    )
  }

  return days
}

/** Milliseconds of UTC midnight on `date`, a `YYYY-MM-DD` date. */
function dayNumber(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (match === null) {
    throw new RangeError(
      `dates for pricing must be written YYYY-MM-DD, got "${date}"; ` +
        `pass the shop's date as today`,
    )
  }

  const [year, month, day] = match.slice(1).map(Number) as [
    number,
    number,
    number,
  ]

  return Date.UTC(year, month - 1, day)
}

/** `percent`% of `cents`, half a cent rounded up, in integer arithmetic. */
function percentOf(cents: number, percent: number): number {
  return Math.floor((cents * percent + 50) / 100)
}

function sum(numbers: number[]): number {
  return numbers.reduce((total, each) => total + each, 0)
}

function plural(count: number, word: string): string {
  return `${count} ${count === 1 ? word : `${word}s`}`
}
