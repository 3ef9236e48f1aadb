/**
 * Event templates: the text of a rule's action with placeholders like
 * `{{data.customer.name}}` in it, and how PressOS finds the event's value
 * that each placeholder names.
 */
import type { EventFacts } from './rule-book.js'

/**
 * A dotted path to one value of an event: names of letters, digits, `_` and
 * `-` joined by dots, like `data.customer.name` or `data.items.0.sku`.
 */
export const VALUE_PATH = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g
// The same placeholder, alone in the text: the only template an amount takes.
const LONE_PLACEHOLDER = /^\{\{\s*[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\s*\}\}$/

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

/**
 * Whether every placeholder in `value` holds a value path and no stray
 * `{{` or `}}` is left outside them.
 */
export function isWellFormedTemplate(value: string): boolean {
  const paths = [...value.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '')
  const rest = value.replace(PLACEHOLDER, '')

  return (
    paths.every((found) => VALUE_PATH.test(found)) &&
    !rest.includes('{{') &&
    !rest.includes('}}')
  )
}

/** Whether `value` is one placeholder and nothing else, like `{{data.x}}`. */
export function isLonePlaceholder(value: string): boolean {
  return LONE_PLACEHOLDER.test(value)
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
