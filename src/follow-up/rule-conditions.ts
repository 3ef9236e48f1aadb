/**
 * Rule conditions: whether the test a rule's `when` puts on one value of
 * an event holds for that event.
 */
import { isDeepStrictEqual } from 'node:util'

import { valueAt } from './event-templates.js'
import type { Condition, EventFacts } from './rule-book.js'

/** The tests a condition may put on a value; a condition holds one. */
export const OPERATORS = [
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

/**
 * Whether the event's value at the condition's path passes its test. A
 * condition without a test never holds; of several, only the first in
 * `OPERATORS` order counts (the rules file allows exactly one).
 */
export function conditionHolds(
  condition: Condition,
  facts: EventFacts,
): boolean {
  const operator = operatorsOf(condition)[0]
  if (operator === undefined) return false

  const value = valueAt(facts, condition.path)

  return TESTS[operator](value, condition[operator])
}

/** The tests a condition, checked or not yet, gives, in `OPERATORS` order. */
export function operatorsOf(condition: object): Operator[] {
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
