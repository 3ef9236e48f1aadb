/**
 * The shape of the follow-up rules file, as a zod schema: which keys each
 * rule, condition and action takes, the defaults of those left out, and the
 * words of the problems a field can have on its own.
 */
import { z } from 'zod'

import { canonicalEventType } from '../live-feed/event-catalogue.js'
import {
  isLonePlaceholder,
  isWellFormedTemplate,
  VALUE_PATH,
} from './event-templates.js'
import { operatorsOf } from './rule-conditions.js'
import {
  describeActionType,
  describeEventType,
  describeOperators,
  show,
  subjectOf,
} from './rules-file-problems.js'

const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const

const RULE_ID = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/
const WHOLE_CENTS = /^-?\d+$/

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

/**
 * The whole rules file: one `rules:` key holding a list of rules. Parse
 * with `describeIssue` as the error map to word the problems no field
 * words itself.
 */
export const RULE_FILE = strictMapping({ rules: z.array(RULE) })

function isAmount(value: string): boolean {
  return WHOLE_CENTS.test(value) || isLonePlaceholder(value)
}

function isCanonical(type: string): boolean {
  return canonicalEventType(type) === type
}

function numberAsText(value: unknown): unknown {
  return typeof value === 'number' ? String(value) : value
}
