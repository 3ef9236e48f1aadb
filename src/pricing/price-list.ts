/**
 * The price list: the YAML file (pricing/price-list.yaml) in which the
 * shop writes what a printed garment costs by quantity break, ink colours
 * and print location, plus screens, dark garments, blanks, large sizes and
 * rush. This module reads that file and checks every field, so that
 * pricing a quote never meets a hole in the table.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

import { LineCounter, parseDocument, type YAMLError } from 'yaml'
import { z } from 'zod'

/** A rush tier: dates this close or closer add `percent` to the subtotal. */
export interface RushTier {
  /** Calendar days from today to the needed-by date, at most. */
  within_days: number
  /** Whole percent of the subtotal, like 25. */
  percent: number
}

/** A checked price list. Amounts are integer cents, quantities pieces. */
export interface PriceList {
  /** The list's own version, shown on every quote it prices. */
  version: string
  /** Three capital letters, like `USD`. */
  currency: string
  /** Fewest pieces of one item the shop prints. */
  minimum_quantity: number
  /** Low end of each quantity break in pieces, smallest first. */
  quantity_breaks: number[]
  /** Most ink colours at one location, underbase included. */
  max_colours: number
  /**
   * Per-piece print rate in cents of the first location, as
   * `print_rates[colours - 1][break index]`.
   */
  print_rates: number[][]
  /** Same as `print_rates`, for each further location. */
  extra_location_rates: number[][]
  /** Print location names a request may use, like `front`. */
  locations: string[]
  screens: {
    /** Cents per screen: one screen per colour per location. */
    fee_per_colour_cents: number
    /** Item quantity in pieces at or above which screens are free. */
    waived_from_quantity: number
  }
  dark_garments: {
    /** Colours the underbase adds to each location of a dark garment. */
    underbase_colours: number
    /** Cents per piece per location for flashing a dark garment. */
    flash_charge_cents: number
  }
  blanks: {
    /** Whole percent added to the blank cost, one per quantity break. */
    markup_percent: number[]
  }
  /** Cents per piece by size name, as `canonicalSize` writes it. */
  size_upcharges_cents: Record<string, number>
  rush: {
    /** Usual lead time in calendar days; closer dates are rushes. */
    standard_days: number
    /** Fastest first; `within_days` rises, `percent` never does. */
    tiers: RushTier[]
  }
}

/** Raised for a price list that cannot be used; one line a problem. */
export class PriceListError extends Error {
  override name = 'PriceListError'

  /** Every problem found, each starting with the file it was found in. */
  readonly problems: readonly string[]

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(problems.join('\n'), options)
    this.problems = problems
  }
}

/**
 * A size name as the price list compares it: trimmed, upper case, and a
 * run of X written as a number, so `xxl` and `2xl` both give `2XL`.
 */
export function canonicalSize(name: string): string {
  const upper = name.trim().toUpperCase()
  const exes = /^(X{2,})L$/.exec(upper)?.[1]

  return exes === undefined ? upper : `${exes.length}XL`
}

/**
 * Reads and checks the price list in `text`.
 *
 * @param source the file name to put in front of every problem.
 * @throws PriceListError listing every problem found, one a line. Fields
 *   are checked one by one first; how they fit together (one price per
 *   break, the same colour rows in both tables) once each field is sound.
 */
export function parsePriceList(text: string, source: string): PriceList {
  const document = readYaml(text, source)
  const parsed = PRICE_LIST_FILE.safeParse(document, { error: describeIssue })
  if (!parsed.success) {
    throw new PriceListError(
      parsed.error.issues.map((issue) =>
        placeProblem(source, issue.path, issue.message),
      ),
    )
  }

  const problems = findMismatches(parsed.data)
  if (problems.length > 0) {
    throw new PriceListError(problems.map((line) => `${source}: ${line}`))
  }

  return toPriceList(parsed.data)
}

/**
 * Reads and checks the price list at `filePath`.
 *
 * @throws PriceListError when the file cannot be read or holds problems.
 */
export function loadPriceList(filePath: string): PriceList {
  let text: string
  try {
    text = readFileSync(filePath, 'utf8')
  } catch (error) {
    throw new PriceListError(
      [
        `cannot read the price list at ${filePath} ` +
          `(${readFailure(error)}); set PRICE_LIST to the path of the ` +
          `price list, or leave PRICE_LIST unset to use the shipped ` +
          `pricing/price-list.yaml`,
      ],
      { cause: error },
    )
  }

  return parsePriceList(text, displayPath(filePath))
}

// ------------------------------------------------------------------ shape

const LOCATION_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/

/** An error map that words every failure of a field as what it must be. */
function mustBe(allowed: string) {
  return (issue: z.core.$ZodRawIssue) =>
    issue.input === undefined
      ? `is missing; write ${allowed}`
      : `must be ${allowed}, got ${show(issue.input)}`
}

function wholeNumber(min: number, max: number, allowed: string) {
  const error = mustBe(allowed)

  return z
    .number({ error })
    .int({ error })
    .min(min, { error })
    .max(max, { error })
}

const cents = wholeNumber(
  0,
  Number.MAX_SAFE_INTEGER,
  'whole cents, 0 or more (250 for $2.50)',
)
const pieces = wholeNumber(
  1,
  Number.MAX_SAFE_INTEGER,
  'a whole number of pieces, 1 or more',
)
const percent = wholeNumber(0, 1000, 'a whole percent from 0 to 1000')
const days = wholeNumber(0, 3660, 'a whole number of calendar days')

/** A mapping that refuses keys it does not know, naming the known ones. */
function strictMapping<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ')

  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ` +
          `${issue.keys.map((key) => `"${key}"`).join(', ')}; ` +
          `the fields here are ${known}`
        : undefined,
  })
}

const rateTable = z.record(z.string(), z.array(cents))

const PRICE_LIST_FILE = strictMapping({
  version: z.preprocess(
    (value) => (typeof value === 'number' ? String(value) : value),
    z
      .string({ error: mustBe('text like "2026-12-01"') })
      .trim()
      .min(1),
  ),
  currency: z.string().regex(/^[A-Z]{3}$/, {
    error: mustBe('three capital letters like "USD"'),
  }),
  minimum_quantity: pieces,
  quantity_breaks: z.array(pieces).min(1),
  print_rates: rateTable,
  extra_location_rates: rateTable,
  locations: z
    .array(
      z.string().regex(LOCATION_NAME, {
        error: mustBe('lower-case words joined by "_", like "left_chest"'),
      }),
    )
    .min(1),
  screens: strictMapping({
    fee_per_colour_cents: cents,
    waived_from_quantity: pieces,
  }),
  dark_garments: strictMapping({
    underbase_colours: wholeNumber(0, 10, 'a whole number from 0 to 10'),
    flash_charge_cents: cents,
  }),
  blanks: strictMapping({ markup_percent: z.array(percent).min(1) }),
  size_upcharges_cents: z.record(z.string(), cents).default({}),
  rush: strictMapping({
    standard_days: days,
    tiers: z.array(strictMapping({ within_days: days, percent })).min(1),
  }),
})

type PriceListFile = z.infer<typeof PRICE_LIST_FILE>

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  array: 'a list like [1, 2, 3]',
  object: 'a mapping (name: value lines)',
  record: 'a mapping (name: value lines)',
}

/** Words for the problems no field of the schema words itself. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.path === undefined || issue.path.length === 0) {
    if (issue.code !== 'invalid_type') return undefined

    return (
      `the file must be a mapping of fields starting with ` +
      `version:, got ${show(issue.input)}`
    )
  }

  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'is missing'
        : `must be ${EXPECTED[issue.expected] ?? issue.expected}, ` +
            `got ${show(issue.input)}`
    case 'too_small':
      return issue.origin === 'array'
        ? 'must list at least one entry'
        : 'must not be empty'
    default:
      return undefined
  }
}

// ------------------------------------------------------------- mismatches

/** Problems between fields that are each sound on their own. */
function findMismatches(file: PriceListFile): string[] {
  const breaks = file.quantity_breaks

  return [
    ...checkBreaks(breaks, file.minimum_quantity),
    ...checkColourRows('print_rates', file.print_rates, breaks.length),
    ...checkColourRows(
      'extra_location_rates',
      file.extra_location_rates,
      breaks.length,
    ),
    ...checkSameRows(file.print_rates, file.extra_location_rates),
    ...checkOnePerBreak(
      'blanks.markup_percent',
      file.blanks.markup_percent,
      breaks.length,
      'percents',
    ),
    ...checkUnique('locations', file.locations, (name) => name),
    ...checkUnique(
      'size_upcharges_cents',
      Object.keys(file.size_upcharges_cents),
      canonicalSize,
    ),
    ...checkRushTiers(file.rush),
  ]
}

function checkBreaks(breaks: number[], minimum: number): string[] {
  const problems = notRising(breaks).map(
    ([before, after]) =>
      `quantity_breaks: ${after} follows ${before}, but each break must be ` +
      `larger than the one before; list them smallest first, each once`,
  )
  const first = breaks[0] ?? minimum
  if (first > minimum) {
    problems.push(
      `quantity_breaks: the first break is ${first}, above ` +
        `minimum_quantity ${minimum}, so ${minimum} to ${first - 1} pieces ` +
        `would have no price; start the breaks at ${minimum}`,
    )
  }

  return problems
}

function checkColourRows(
  table: string,
  rows: Record<string, number[]>,
  breakCount: number,
): string[] {
  const keys = Object.keys(rows)
  const expected = keys.map((_, index) => String(index + 1))
  if (keys.length === 0) {
    return [`${table}: has no colour rows; add at least the row for 1 colour`]
  }

  const gapless = expected.every((key) => key in rows)
  const problems = gapless
    ? []
    : [
        `${table}: the colour rows must be numbered 1, 2, 3 and so on ` +
          `without gaps, got ${keys.join(', ') || 'no rows'}; add the ` +
          `missing rows or renumber them`,
      ]

  for (const [colours, prices] of Object.entries(rows)) {
    problems.push(
      ...checkOnePerBreak(`${table} ${colours}`, prices, breakCount, 'prices'),
    )
  }

  return problems
}

function checkSameRows(
  first: Record<string, number[]>,
  extra: Record<string, number[]>,
): string[] {
  const firstKeys = Object.keys(first).join(', ')
  const extraKeys = Object.keys(extra).join(', ')
  if (firstKeys === extraKeys) return []

  return [
    `extra_location_rates: has colour rows ${extraKeys || 'none'}, but ` +
      `print_rates has ${firstKeys || 'none'}; give both tables the ` +
      `same rows`,
  ]
}

function checkOnePerBreak(
  field: string,
  values: number[],
  breakCount: number,
  noun: string,
): string[] {
  if (values.length === breakCount) return []

  return [
    `${field}: has ${values.length} ${noun}, but quantity_breaks has ` +
      `${breakCount} breaks; give one for each break, in the same order`,
  ]
}

function checkUnique(
  field: string,
  names: string[],
  sameAs: (name: string) => string,
): string[] {
  const seen = new Map<string, string>()
  const problems: string[] = []
  for (const name of names) {
    const earlier = seen.get(sameAs(name))
    if (earlier !== undefined) {
      problems.push(
        `${field}: "${earlier}" and "${name}" are the same; list it once`,
      )
    }
    seen.set(sameAs(name), name)
  }

  return problems
}

function checkRushTiers(rush: PriceListFile['rush']): string[] {
  const within = rush.tiers.map((tier) => tier.within_days)
  const order = notRising(within).map(
    ([before, after]) =>
      `rush.tiers: within_days ${after} follows ${before}; list the tiers ` +
      `from fewest days to most, each number of days once`,
  )

  return [...order, ...rush.tiers.flatMap((_, index) => checkTier(rush, index))]
}

/** Problems of the tier at `index`: dearer than a faster one, or unused. */
function checkTier(rush: PriceListFile['rush'], index: number): string[] {
  const tier = rush.tiers[index]
  const faster = rush.tiers[index - 1]
  if (tier === undefined) return []

  const problems: string[] = []
  const slower = faster !== undefined && faster.within_days < tier.within_days
  if (slower && tier.percent > faster.percent) {
    problems.push(
      `rush.tiers entry ${index + 1} percent: ${tier.percent} is more ` +
        `than the ${faster.percent} of the faster tier before it; a ` +
        `slower rush must not cost more`,
    )
  }
  if (tier.within_days >= rush.standard_days) {
    problems.push(
      `rush.tiers entry ${index + 1} within_days: ${tier.within_days} ` +
        `is not under standard_days ${rush.standard_days}, so the tier ` +
        `would never apply; lower it or raise standard_days`,
    )
  }

  return problems
}

/** The neighbours in `numbers` that do not rise, as `[before, after]`. */
function notRising(numbers: number[]): [number, number][] {
  return numbers.flatMap((after, index) => {
    const before = numbers[index - 1]

    return before !== undefined && after <= before
      ? [[before, after] as [number, number]]
      : []
  })
}

function toPriceList(file: PriceListFile): PriceList {
  const byColours = (rows: Record<string, number[]>) =>
    Object.keys(rows).map((_, index) => rows[String(index + 1)] ?? [])
  const upcharges = Object.entries(file.size_upcharges_cents).map(
    ([size, amount]) => [canonicalSize(size), amount] as const,
  )

  return {
    ...file,
    max_colours: Object.keys(file.print_rates).length,
    print_rates: byColours(file.print_rates),
    extra_location_rates: byColours(file.extra_location_rates),
    size_upcharges_cents: Object.fromEntries(upcharges),
  }
}

// ---------------------------------------------------------------- reading

function readYaml(text: string, source: string): unknown {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false })
  if (document.errors.length > 0) {
    throw new PriceListError(
      document.errors.map((error) => syntaxProblem(error, lineCounter, source)),
    )
  }

  return document.toJS()
}

function syntaxProblem(
  error: YAMLError,
  lineCounter: LineCounter,
  source: string,
): string {
  const { line, col } = lineCounter.linePos(error.pos[0])
  const firstLine = error.message.split('\n')[0]

  return (
    `${source}: the YAML does not read at line ${line}, column ${col} ` +
    `(${firstLine}); look for a wrong indent or an unclosed quote there`
  )
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const reasons: Record<string, string> = {
    ENOENT: 'the file does not exist',
    EACCES: 'no permission to read it',
    EISDIR: 'that is a folder',
  }

  return (code && reasons[code]) ?? code ?? String(error)
}

/** `filePath` relative to the working folder when it lies inside it. */
function displayPath(filePath: string): string {
  const relative = path.relative(process.cwd(), filePath)
  const inside = relative !== '' && !relative.startsWith('..')

  return inside && !path.isAbsolute(relative) ? relative : filePath
}

// --------------------------------------------------------------- problems

/** `message` with the file and the field it is about in front of it. */
function placeProblem(
  source: string,
  issuePath: readonly PropertyKey[],
  message: string,
): string {
  const field = fieldName(issuePath)

  return field === ''
    ? `${source}: ${message}`
    : `${source}: ${field}: ${message}`
}

/**
 * A path as the file's reader would say it: `screens.fee_per_colour_cents`,
 * `print_rates 3 entry 2`, `rush.tiers entry 1 percent`.
 */
function fieldName(issuePath: readonly PropertyKey[]): string {
  let name = ''
  let afterEntry = false
  for (const key of issuePath) {
    if (typeof key === 'number') {
      name += ` entry ${key + 1}`
      afterEntry = true
    } else {
      const text = String(key)
      const joiner = afterEntry || /^\d+$/.test(text) ? ' ' : '.'
      name += name === '' ? text : joiner + text
      afterEntry = false
    }
  }

  return name
}

/** A value as a problem shows it: text quoted, lists and mappings named. */
function show(value: unknown): string {
  if (value === undefined || value === null) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value !== 'string') return String(value)

  return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)
}
