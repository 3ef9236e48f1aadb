/**
 * A quote request: the JSON a customer-facing tool sends to be priced.
 * This module checks that body against the price list it will be priced
 * with (known locations, whole cents, real dates) and refuses it with a
 * 422 that names every field at fault, so the sender can fix all of them
 * at once.
 */
import { z } from 'zod'

import { HttpProblem } from '../http/problem.js'
import { canonicalSize, type PriceList } from './price-list.js'

/** Most items one quote request may hold. */
export const MAX_QUOTE_ITEMS = 50

/** One print location of an item and its ink colours. */
export interface PrintLocation {
  /** A name from the price list's `locations`, like `front`. */
  name: string
  /** Ink colours as the customer counts them, underbase not included. */
  colours: number
}

/** One garment style in one colour, with its sizes and print locations. */
export interface QuoteItem {
  /** The garment style, like `Gildan 5000`. */
  style: string
  /** The garment colour, like `Black`. */
  colour: string
  /** Whether the garment is dark and needs an underbase and a flash. */
  dark: boolean
  /** What one blank costs the shop, in integer cents. */
  blank_cost_cents: number
  /** Pieces by size, keyed by `canonicalSize` (`XXL` arrives as `2XL`). */
  sizes: Record<string, number>
  /** At least one, each location at most once, in the order sent. */
  locations: PrintLocation[]
}

/** A checked quote request. */
export interface QuoteRequest {
  customer?: string
  reference?: string
  /** One to `MAX_QUOTE_ITEMS` items. */
  items: QuoteItem[]
  /** Whether the customer asked for the fastest rush tier. */
  rush: boolean
  /** The date the customer needs the order by, as `YYYY-MM-DD`. */
  needed_by?: string
}

/** One field of a refused request and what is wrong with it. */
export interface RequestFieldProblem {
  /** Dotted path into the body, like `items.0.locations.1.colours`. */
  field: string
  problem: string
}

/**
 * Checks `body` as a quote request priced with `priceList`. Fields the
 * request does not know are ignored. The checks are built once for each
 * price list object: load a new list rather than change one in place.
 *
 * @throws HttpProblem 422 `invalid-quote-request` with an `errors` list of
 *   `{ field, problem }`, one for every problem found.
 */
export function readQuoteRequest(
  body: Record<string, unknown>,
  priceList: PriceList,
): QuoteRequest {
  const parsed = checkedSchemaOf(priceList).safeParse(body, {
    error: describeIssue,
  })
  if (!parsed.success) {
    throw invalidRequest(
      parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.'),
        problem: issue.message,
      })),
    )
  }

  return parsed.data
}

function invalidRequest(errors: RequestFieldProblem[]): HttpProblem {
  const detail = errors
    .map((error) => `${error.field}: ${error.problem}`)
    .join('; ')

  return new HttpProblem(
    422,
    'invalid-quote-request',
    'Invalid quote request',
    detail,
    { errors },
  )
}

// ----------------------------------------------------------------- fields

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** An error map that words every failure of a field as what it must be. */
function mustBe(allowed: string) {
  return (issue: z.core.$ZodRawIssue) =>
    issue.input === undefined
      ? `is missing; send ${allowed}`
      : `must be ${allowed}, got ${show(issue.input)}`
}

function wholeNumber(min: number, allowed: string) {
  const error = mustBe(allowed)

  return z.number({ error }).int({ error }).min(min, { error })
}

const text = (example: string) =>
  z.string({ error: mustBe(`text, like ${example}`) }).trim()

const filledText = (example: string) =>
  text(example).min(1, {
    error: `must not be empty; send text like ${example}`,
  })

const yesOrNo = z.boolean({ error: mustBe('true or false') }).default(false)

const blankCost = z
  .number({ error: mustBe('the cost of one blank in integer cents') })
  .int({
    error: (issue) =>
      `amounts are integer cents: send 325 for $3.25, got ${show(issue.input)}`,
  })
  .min(0, { error: mustBe('integer cents, 0 or more') })

const neededBy = z
  .string({ error: mustBe('a date written YYYY-MM-DD, like "2026-12-20"') })
  .regex(DATE, {
    error: mustBe('a date written YYYY-MM-DD, like "2026-12-20"'),
  })
  .refine((date) => !DATE.test(date) || isCalendarDate(date), {
    error: (issue) =>
      `${show(issue.input)} is not a day of the calendar; ` +
      `check the month and the day`,
  })

const sizes = z
  .record(z.string(), wholeNumber(0, 'a whole number of pieces, 0 or more'), {
    error: mustBe('a mapping of size to pieces, like {"M": 12}'),
  })
  .superRefine(checkSizes)
  .transform(bySize)

function locationsOf(priceList: PriceList) {
  const allowed = priceList.locations
  const name = z
    .string({ error: mustBe(`one of ${allowed.join(', ')}`) })
    .transform(locationName)
    .refine((value) => allowed.includes(value), {
      error: (issue) =>
        `unknown location ${show(issue.input)}; ` +
        `the price list prints on ${allowed.join(', ')}`,
    })
    .describe(`One of ${allowed.join(', ')}; case and spaces do not matter.`)
  const location = z.object(
    {
      name,
      colours: wholeNumber(1, 'a whole number of ink colours, 1 or more'),
    },
    { error: mustBe('a location like {"name": "front", "colours": 2}') },
  )

  return z
    .array(location, { error: mustBe('a list of print locations') })
    .min(1, { error: 'must list at least one print location' })
    .max(allowed.length, {
      error: `lists more locations than the ${allowed.length} there are`,
    })
    .superRefine(checkOneOfEach, { when: () => true })
}

/**
 * The schema a quote request is checked with against `priceList`, and
 * documented by.
 */
export function quoteRequestSchema(priceList: PriceList) {
  const item = z.object(
    {
      style: filledText('"Gildan 5000"'),
      colour: filledText('"Black"'),
      dark: yesOrNo,
      blank_cost_cents: blankCost,
      sizes,
      locations: locationsOf(priceList),
    },
    { error: mustBe('an item like {"style": "Gildan 5000", ...}') },
  )

  return z.object({
    customer: text('"Riverside Rowing Club"').optional(),
    reference: text('"PO 4471"').optional(),
    items: z
      .array(item, { error: mustBe('a list of items') })
      .min(1, { error: 'must list at least one item' })
      .max(MAX_QUOTE_ITEMS, {
        error: (issue) =>
          `lists ${(issue.input as unknown[]).length} items, but one quote ` +
          `takes at most ${MAX_QUOTE_ITEMS}; split it into several quotes`,
      }),
    rush: yesOrNo,
    needed_by: neededBy.optional(),
  })
}

type QuoteRequestSchema = ReturnType<typeof quoteRequestSchema>

// Building the schema costs more than checking a request with it, and a
// price list does not change once loaded: each list's schema is built once.
const schemas = new WeakMap<PriceList, QuoteRequestSchema>()

function checkedSchemaOf(priceList: PriceList): QuoteRequestSchema {
  let schema = schemas.get(priceList)
  if (schema === undefined) {
    schema = quoteRequestSchema(priceList)
    schemas.set(priceList, schema)
  }

  return schema
}

/** Words for the problems no field words itself. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined

  return issue.input === undefined ? 'is missing' : undefined
}

// ----------------------------------------------------------------- checks

function checkSizes(
  counts: Record<string, number>,
  ctx: z.core.$RefinementCtx<Record<string, number>>,
): void {
  const names = Object.keys(counts)
  if (names.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'must name at least one size, like {"M": 12}',
    })

    return
  }

  const seen = new Map<string, string>()
  for (const name of names) {
    const earlier = seen.get(canonicalSize(name))
    if (earlier !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `is the same size as "${earlier}"; send each size once`,
      })
    }
    seen.set(canonicalSize(name), name)
  }
  if (Object.values(counts).every((count) => count === 0)) {
    ctx.addIssue({
      code: 'custom',
      message: 'add up to 0 pieces; send at least one piece',
    })
  }
}

function bySize(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).map(([name, count]) => [canonicalSize(name), count]),
  )
}

/**
 * A problem on every location named a second time. Runs even when other
 * locations were refused, reading their names where they are text.
 */
function checkOneOfEach(locations: unknown, ctx: z.core.$RefinementCtx) {
  if (!Array.isArray(locations)) return

  const seen = new Set<string>()
  locations.forEach((location, index) => {
    const name = (location as { name?: unknown } | null)?.name
    if (typeof name !== 'string') return

    const key = locationName(name)
    if (seen.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message:
          `"${key}" is already a location of this item; ` +
          `send each location once with all its colours`,
      })
    }
    seen.add(key)
  })
}

/** A location as the price list names it: `Left chest` is `left_chest`. */
function locationName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
}

function isCalendarDate(date: string): boolean {
  const [, year, month, day] = DATE.exec(date)?.map(Number) ?? []
  if (year === undefined || month === undefined || day === undefined) {
    return false
  }

  const parsed = new Date(Date.UTC(year, month - 1, day))

  return (
    parsed.getUTCFullYear() === year &&
    parsed.getUTCMonth() === month - 1 &&
    parsed.getUTCDate() === day
  )
}

/** A value as a problem shows it: text quoted, lists and objects named. */
function show(value: unknown): string {
  if (value === undefined || value === null) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  if (typeof value !== 'string') return String(value)

  return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)
}
