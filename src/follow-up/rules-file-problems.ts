/**
 * The words of the problems found in a follow-up rules file: what is
 * wrong, where in the file (`rule "lead-inquiry" action 2: ...`), and what
 * to write instead.
 */
import type { z } from 'zod'

import {
  CANONICAL_EVENT_TYPES,
  canonicalEventType,
} from '../live-feed/event-catalogue.js'
import { OPERATORS, operatorsOf } from './rule-conditions.js'

const ACTION_TYPES = [
  'inbox_item',
  'set_work_order_status',
  'record_cost',
  'record_payment',
  'push',
  'emit_event',
]

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
}

/** Words for the problems zod finds where no schema gave its own. */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
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

/** Why `action` is none of the known actions, naming those that are. */
export function describeActionType(action: unknown): string {
  const allowed = `(allowed: ${ACTION_TYPES.join(', ')})`
  const type = (action as { type?: unknown }).type

  return type === undefined
    ? `action has no type ${allowed}`
    : `unknown action type ${show(type)} ${allowed}`
}

/**
 * Why `type` is not a canonical event type: the canonical name of a legacy
 * one, else the nearest known type when it looks like a slip of the keys.
 */
export function describeEventType(
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

/** Why a condition does not give exactly one test. */
export function describeOperators(condition: object): string {
  const found = operatorsOf(condition)
  const allowed = OPERATORS.join(', ')

  return found.length === 0
    ? `give the condition one test besides path (one of ${allowed})`
    : `give the condition only one test, got ${found.join(' and ')}; ` +
        `write one condition for each`
}

/** One problem for each rule id that more than one rule of the file uses. */
export function findDuplicateIds(document: unknown): string[] {
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

/**
 * The field a problem at `issuePath` is about, named from inside its rule,
 * action or condition, like `title` or `data.customer`.
 */
export function subjectOf(
  issuePath: readonly PropertyKey[] | undefined,
): string {
  return placeOf(issuePath).subject
}

function fieldName(issuePath: readonly PropertyKey[]): string {
  return issuePath.filter((key) => typeof key === 'string').join('.')
}

/**
 * `message` with the file, the rule (by id, or by number when it has none)
 * and the action or condition it is about in front of it.
 */
export function placeProblem(
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

/**
 * A value of the file as a message shows it: text quoted and cut to 60
 * characters, a list or a mapping by its kind, a missing value as nothing.
 */
export function show(value: unknown): string {
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
