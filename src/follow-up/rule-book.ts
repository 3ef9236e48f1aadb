/**
 * The follow-up rule book: the YAML file in which the shop writes what
 * PressOS does after an event arrives (open an inbox item, move a work
 * order, record a cost or a payment, buzz the phones, announce another
 * event). This module reads and checks that file, and answers which rules
 * an event matches. Carrying out the actions is the follow-up job's work.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'

import { LineCounter, parseDocument, type YAMLError } from 'yaml'
import { z } from 'zod'

import {
  CANONICAL_EVENT_TYPES,
  canonicalEventType,
} from '../live-feed/event-catalogue.js'

/** What rules see of an event: the stored JSON body plus canonical fields. */
export interface EventFacts {
  /** Canonical dotted type, like `lead.new_inquiry`. */
  eventType: string
  source: string | null
  workOrderId: string | null
  /** The whole JSON body as sent, with `data`, `event_type` and the rest. */
  payload: Record<string, unknown>
}

/** How loudly an inbox item or a push notification asks for attention. */
export type Priority = 'low' | 'normal' | 'high' | 'urgent'

/**
 * One thing a rule does. Fields called templates may hold placeholders like
 * `{{data.customer.name}}` that `renderTemplate` fills in from the event:
 * title, body, message, click, status, memo, work_order_id, amount_cents
 * and the values of `data`. The other fields are taken as written.
 */
export type Action =
  | {
      type: 'inbox_item'
      title: string
      body?: string
      priority: Priority
      kind?: string
      tags: string[]
    }
  | {
      type: 'set_work_order_status'
      status: string
      /** Template; `{{work_order_id}}` unless the rule says otherwise. */
      work_order_id: string
    }
  | {
      type: 'record_cost' | 'record_payment'
      /** Whole cents, or one placeholder that renders to whole cents. */
      amount_cents: string
      category: string
      /** Three capital letters; `USD` unless the rule says otherwise. */
      currency: string
      memo?: string
      work_order_id: string
    }
  | {
      type: 'push'
      title: string
      message: string
      priority: Priority
      tags: string[]
      click?: string
    }
  | {
      type: 'emit_event'
      /** A canonical dotted type. */
      event_type: string
      data: Record<string, string>
    }

/**
 * A test on one value of the event, found by `path` (see `valueAt`). It
 * holds exactly one operator. `equals`, `not_equals`, `in` and `contains`
 * compare without converting types; `gt`, `gte`, `lt` and `lte` also accept
 * a value sent as numeric text; `exists: false` holds for a missing value
 * and for null.
 */
export interface Condition {
  path: string
  equals?: unknown
  not_equals?: unknown
  in?: unknown[]
  exists?: boolean
  gt?: number
  gte?: number
  lt?: number
  lte?: number
  /** Part of a text value, or one item of a list value. */
  contains?: string
}

/** One rule of the book: when it applies, and what it does then. */
export interface Rule {
  id: string
  description?: string
  /** Canonical event types the rule listens to. */
  on: string[]
  /** Conditions that must all hold; none means always. */
  when: Condition[]
  actions: Action[]
}

/** Raised for a rule book that cannot be used; one line a problem. */
export class RuleBookError extends Error {
  override name = 'RuleBookError'

  /** Every problem found, each naming the file it was found in. */
  readonly problems: readonly string[]

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(problems.join('\n'), options)
    this.problems = problems
  }
}

/** The checked rules of one file. */
export class RuleBook {
  readonly rules: Rule[]
  /** The file the rules came from, as shown in messages. */
  readonly source: string

  constructor(rules: Rule[], source: string) {
    this.rules = rules
    this.source = source
  }

  /** The rules that listen to the event's type and whose conditions hold. */
  matching(facts: EventFacts): Rule[] {
    const type = canonicalEventType(facts.eventType) ?? facts.eventType

    return this.rules.filter(
      (rule) =>
        rule.on.includes(type) &&
        rule.when.every((condition) => conditionHolds(condition, facts)),
    )
  }
}

/**
 * Reads and checks the rules in `text`.
 *
 * @param source the file name to put in front of every message.
 * @throws RuleBookError listing every problem found, one a line.
 */
export function parseRuleBook(text: string, source: string): RuleBook {
  const document = readYaml(text, source)
  const parsed = RULE_FILE.safeParse(document, { error: describeIssue })
  const problems = [
    ...(parsed.error?.issues ?? []).map((issue) =>
      placeProblem(source, document, issue.path, issue.message),
    ),
    ...findDuplicateIds(document).map((line) => `${source}: ${line}`),
  ]
  if (!parsed.success || problems.length > 0) {
    throw new RuleBookError(problems)
  }

  return new RuleBook(parsed.data.rules, source)
}

/**
 * Reads and checks the rule book at `filePath`.
 *
 * @throws RuleBookError when the file cannot be read or holds problems.
 */
export function loadRuleBook(filePath: string): RuleBook {
  let text: string
  try {
    text = readFileSync(filePath, 'utf8')
  } catch (error) {
    throw new RuleBookError(
      [
        `cannot read the follow-up rules at ${filePath} ` +
          `(${describeReadFailure(error)}); point FOLLOW_UP_RULES at the ` +
          `rules file, or unset it to use the shipped ` +
          `rules/follow-up-rules.yaml`,
      ],
      { cause: error },
    )
  }

  return parseRuleBook(text, shortPath(filePath))
}

/**
 * Fills every `{{path}}` in `template` with the event's value at that path
 * (spaces inside the braces are allowed). A missing value becomes empty
 * text, a mapping or a list becomes JSON.
 */
export function renderTemplate(template: string, facts: EventFacts): string {
  return template.replace(PLACEHOLDER, (_whole, valuePath: string) =>
    asText(valueAt(facts, valuePath)),
  )
}

/**
 * The event's value at a dotted `path`: `event_type`, `source` and
 * `work_order_id` are the canonical fields, any other first name is looked
 * up in the body (`data.customer.name`). List items are reached by number
 * (`data.items.0.sku`). Undefined when nothing is there.
 */
export function valueAt(facts: EventFacts, path: string): unknown {
  const [first = '', ...rest] = path.split('.')

  return rest.reduce(childOf, topValue(facts, first))
}

function topValue(facts: EventFacts, name: string): unknown {
  switch (name) {
    case 'event_type':
      return facts.eventType
    case 'source':
      return facts.source
    case 'work_order_id':
      return facts.workOrderId
    default:
      return childOf(facts.payload, name)
  }
}

function childOf(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined

  return Object.hasOwn(value, name)
    ? (value as Record<string, unknown>)[name]
    : undefined
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'object') return JSON.stringify(value)

  return String(value)
}

const OPERATORS = [
  'equals',
  'not_equals',
  'in',
  'exists',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
] as const

type Operator = (typeof OPERATORS)[number]

const TESTS: Record<Operator, (value: unknown, expected: unknown) => boolean> =
  {
    equals: (value, expected) => sameValue(value, expected),
    not_equals: (value, expected) => !sameValue(value, expected),
    in: (value, expected) =>
      (expected as unknown[]).some((item) => sameValue(value, item)),
    exists: (value, expected) =>
      (value !== undefined && value !== null) === expected,
    gt: (value, expected) => compare(value, expected, (a, b) => a > b),
    gte: (value, expected) => compare(value, expected, (a, b) => a >= b),
    lt: (value, expected) => compare(value, expected, (a, b) => a < b),
    lte: (value, expected) => compare(value, expected, (a, b) => a <= b),
    contains: (value, expected) => containsItem(value, expected),
  }

function conditionHolds(condition: Condition, facts: EventFacts): boolean {
  const operator = operatorsOf(condition)[0]
  if (operator === undefined) return false

  const value = valueAt(facts, condition.path)

  return TESTS[operator](value, condition[operator])
}

function operatorsOf(condition: object): Operator[] {
  const fields = condition as Record<string, unknown>

  return OPERATORS.filter((operator) => fields[operator] !== undefined)
}

function sameValue(value: unknown, expected: unknown): boolean {
  return isDeepStrictEqual(value ?? null, expected ?? null)
}

function compare(
  value: unknown,
  limit: unknown,
  test: (value: number, limit: number) => boolean,
): boolean {
  const number = asNumber(value)

  return number !== undefined && test(number, limit as number)
}

function asNumber(value: unknown): number | undefined {
  const number =
    typeof value === 'string' && value.trim() !== '' ? Number(value) : value

  return typeof number === 'number' && Number.isFinite(number)
    ? number
    : undefined
}

function containsItem(value: unknown, part: unknown): boolean {
  if (typeof value === 'string') return value.includes(String(part))

  return Array.isArray(value) && value.some((item) => sameValue(item, part))
}

const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const

const ACTION_TYPES = [
  'inbox_item',
  'set_work_order_status',
  'record_cost',
  'record_payment',
  'push',
  'emit_event',
]

const RULE_ID = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/
const VALUE_PATH = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g
// The same placeholder, alone in the text: the only template an amount takes.
const LONE_PLACEHOLDER = /^\{\{\s*[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\s*\}\}$/
const WHOLE_CENTS = /^-?\d+$/

function readYaml(text: string, source: string): unknown {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false })
  if (document.errors.length > 0) {
    throw new RuleBookError(
      document.errors.map((error) => yamlProblem(error, lineCounter, source)),
    )
  }

  return document.toJS()
}

function yamlProblem(
  error: YAMLError,
  lineCounter: LineCounter,
  source: string,
): string {
  const { line, col } = lineCounter.linePos(error.pos[0])
  const reason = error.message.split('\n')[0]

  return (
    `${source}: YAML syntax error at line ${line}, column ${col}: ` +
    `${reason}; check the indentation and quotes on that line`
  )
}

/** A mapping that refuses keys it does not know, naming those it does. */
function strictMapping<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ')

  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ` +
          `${issue.keys.map((key) => `"${key}"`).join(', ')} ` +
          `(allowed: ${allowed})`
        : undefined,
  })
}

const filledText = z.string().trim().min(1)

const template = filledText.refine(isWellFormedTemplate, {
  error: (issue) =>
    `${subjectOf(issue.path)} has a placeholder that cannot be read in ` +
    `${show(issue.input)}; write placeholders like {{data.customer.name}}`,
})

const amountCents = z.preprocess(
  numberAsText,
  filledText.refine(isAmount, {
    error: (issue) =>
      `amount_cents must be whole cents like 2500, or one placeholder ` +
      `like "{{data.amount_cents}}", got ${show(issue.input)}`,
  }),
)

const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, {
    error: (issue) =>
      `currency must be three capital letters like "USD", ` +
      `got ${show(issue.input)}`,
  })
  .default('USD')

const eventType = z.string().refine(isCanonical, {
  error: (issue) => describeEventType(issue.path, String(issue.input)),
})

const priority = z.enum(PRIORITIES).default('normal')
const tags = z.array(filledText).default([])
const workOrderId = template.default('{{work_order_id}}')
const dataValue = z.preprocess(numberAsText, template)

const ACTION = z.discriminatedUnion(
  'type',
  [
    strictMapping({
      type: z.literal('inbox_item'),
      title: template,
      body: template.optional(),
      priority,
      kind: filledText.optional(),
      tags,
    }),
    strictMapping({
      type: z.literal('set_work_order_status'),
      status: template,
      work_order_id: workOrderId,
    }),
    strictMapping({
      type: z.enum(['record_cost', 'record_payment']),
      amount_cents: amountCents,
      category: filledText,
      currency,
      memo: template.optional(),
      work_order_id: workOrderId,
    }),
    strictMapping({
      type: z.literal('push'),
      title: template,
      message: template,
      priority,
      tags,
      click: template.optional(),
    }),
    strictMapping({
      type: z.literal('emit_event'),
      event_type: eventType,
      data: z.record(z.string(), dataValue).default({}),
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? describeActionType(issue.input)
        : undefined,
  },
)

const CONDITION = strictMapping({
  path: z.string().regex(VALUE_PATH, {
    error: (issue) =>
      `path must be names joined by dots like "data.customer.name", ` +
      `got ${show(issue.input)}`,
  }),
  equals: z.unknown().optional(),
  not_equals: z.unknown().optional(),
  in: z.array(z.unknown()).optional(),
  exists: z.boolean().optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  contains: z.string().optional(),
}).refine((condition) => operatorsOf(condition).length === 1, {
  error: (issue) => describeOperators(issue.input as object),
})

const RULE = strictMapping({
  id: z.string().regex(RULE_ID, {
    error: (issue) =>
      `id must be lower-case letters and digits joined by "-", "_" or "." ` +
      `(like "lead-inquiry"), got ${show(issue.input)}`,
  }),
  description: z.string().optional(),
  on: z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z
      .array(eventType, {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? `on must be an event type like "lead.new_inquiry", or a list ` +
              `of them, got ${show(issue.input)}`
            : undefined,
      })
      .min(1),
  ),
  when: z.array(CONDITION).default([]),
  actions: z.array(ACTION).min(1),
})

const RULE_FILE = strictMapping({ rules: z.array(RULE) })

function isWellFormedTemplate(value: string): boolean {
  const paths = [...value.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '')
  const rest = value.replace(PLACEHOLDER, '')

  return (
    paths.every((found) => VALUE_PATH.test(found)) &&
    !rest.includes('{{') &&
    !rest.includes('}}')
  )
}

function isAmount(value: string): boolean {
  return WHOLE_CENTS.test(value) || LONE_PLACEHOLDER.test(value)
}

function isCanonical(type: string): boolean {
  return canonicalEventType(type) === type
}

function numberAsText(value: unknown): unknown {
  return typeof value === 'number' ? String(value) : value
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
}

/** Words for the problems zod finds where no schema gave its own. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  const subject = subjectOf(issue.path)

  switch (issue.code) {
    case 'invalid_type':
      if (issue.path === undefined || issue.path.length === 0) {
        return (
          `the file must start with "rules:" followed by a list of rules, ` +
          `got ${show(issue.input)}`
        )
      }

      return issue.input === undefined
        ? `${subject} is missing`
        : `${subject} must be ${EXPECTED[issue.expected] ?? issue.expected}, ` +
            `got ${show(issue.input)}`
    case 'invalid_value':
      return (
        `${subject} must be one of ${issue.values.join(', ')}, ` +
        `got ${show(issue.input)}`
      )
    case 'too_small':
      return `${subject} must not be empty`
    default:
      return undefined
  }
}

function describeActionType(action: unknown): string {
  const allowed = `(allowed: ${ACTION_TYPES.join(', ')})`
  const type = (action as { type?: unknown }).type

  return type === undefined
    ? `action has no type ${allowed}`
    : `unknown action type ${show(type)} ${allowed}`
}

function describeEventType(
  issuePath: readonly PropertyKey[] | undefined,
  type: string,
): string {
  const subject = subjectOf(issuePath)
  const canonical = canonicalEventType(type)
  if (canonical !== undefined) {
    return (
      `${subject}: "${type}" is a legacy name; ` +
      `write "${canonical}" instead`
    )
  }

  const near = closest(type, CANONICAL_EVENT_TYPES)

  return near === undefined
    ? `${subject}: unknown event type "${type}"; the known types are listed ` +
        `in src/live-feed/event-catalogue.ts`
    : `${subject}: unknown event type "${type}"; did you mean "${near}"?`
}

function describeOperators(condition: object): string {
  const found = operatorsOf(condition)
  const allowed = OPERATORS.join(', ')

  return found.length === 0
    ? `give the condition one test besides path (one of ${allowed})`
    : `give the condition only one test, got ${found.join(' and ')}; ` +
        `write one condition for each`
}

function findDuplicateIds(document: unknown): string[] {
  const rules = (document as { rules?: unknown } | null)?.rules
  if (!Array.isArray(rules)) return []

  const positions = new Map<string, number[]>()
  rules.forEach((rule, index) => {
    const id = (rule as { id?: unknown } | null)?.id
    if (typeof id === 'string') {
      positions.set(id, [...(positions.get(id) ?? []), index + 1])
    }
  })

  return [...positions]
    .filter(([, found]) => found.length > 1)
    .map(
      ([id, found]) =>
        `rule id "${id}" is used by rules ${listInWords(found)}; ` +
        `give each rule its own id`,
    )
}

/** Where in the file a problem is, as a reader of the file would say it. */
interface Place {
  ruleIndex?: number
  /** Like `action 2` or `condition 1`. */
  part?: string
  /** The field the problem is about, like `title` or `data.customer`. */
  subject: string
}

const PART_NAMES: Record<string, string> = {
  actions: 'action',
  when: 'condition',
}

function placeOf(issuePath: readonly PropertyKey[] = []): Place {
  const [top, ruleIndex, group, itemIndex] = issuePath
  if (top !== 'rules' || typeof ruleIndex !== 'number') {
    return { subject: fieldName(issuePath) || 'the file' }
  }

  const part = PART_NAMES[String(group)]
  if (part === undefined || typeof itemIndex !== 'number') {
    return { ruleIndex, subject: fieldName(issuePath.slice(2)) || 'the rule' }
  }

  return {
    ruleIndex,
    part: `${part} ${itemIndex + 1}`,
    subject: fieldName(issuePath.slice(4)) || `the ${part}`,
  }
}

function subjectOf(issuePath: readonly PropertyKey[] | undefined): string {
  return placeOf(issuePath).subject
}

function fieldName(issuePath: readonly PropertyKey[]): string {
  return issuePath.filter((key) => typeof key === 'string').join('.')
}

function placeProblem(
  source: string,
  document: unknown,
  issuePath: readonly PropertyKey[],
  message: string,
): string {
  const { ruleIndex, part } = placeOf(issuePath)
  if (ruleIndex === undefined) return `${source}: ${message}`

  const rule = `rule ${ruleName(document, ruleIndex)}`

  return `${source}: ${part ? `${rule} ${part}` : rule}: ${message}`
}

function ruleName(document: unknown, index: number): string {
  const rules = (document as { rules: unknown[] }).rules
  const id = (rules[index] as { id?: unknown } | null)?.id

  return typeof id === 'string' && id !== '' ? `"${id}"` : String(index + 1)
}

function show(value: unknown): string {
  if (value === undefined || value === null) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value !== 'string') return String(value)

  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
}

function listInWords(numbers: number[]): string {
  const last = numbers.at(-1)

  return `${numbers.slice(0, -1).join(', ')} and ${last}`
}

function describeReadFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a folder',
  }

  return (code && words[code]) ?? code ?? String(error)
}

function shortPath(filePath: string): string {
  const relative = path.relative(process.cwd(), filePath)
  const outside = relative.startsWith('..') || path.isAbsolute(relative)

  return outside || relative === '' ? filePath : relative
}

/** The known word nearest to `word`, if it is only a slip of the keys away. */
function closest(word: string, known: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 4))
  let best: { word: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(word, candidate)
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { word: candidate, distance }
    }
  }

  return best?.word
}

/** How many single-letter edits turn `a` into `b` (Levenshtein). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const replace = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, replace))
    }
    previous = current
  }

  return previous[b.length]!
}
