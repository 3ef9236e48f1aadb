/**
 * Reads the JSON body of `POST /webhooks/events` into an event, or says
 * exactly which fields are wrong.
 */
import { z } from 'zod'
import { HttpProblem } from '../http/problem.js'

/** The recognised fields of a live-feed event; other fields are kept too. */
export interface EventBody {
  eventType: string
  eventId: string | null
  source: string | null
  occurredAt: Date | null
  workOrderId: string | null
}

/** One thing wrong with the body. */
export interface FieldError {
  field: string
  problem: string
}

const MAX_TEXT = 255
// No `i` flag, so that JSON Schema can carry the same pattern.
const ISO_WITH_ZONE =
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/
const NOT_BLANK = /\S/

const identifier = z
  .union([z.string().max(MAX_TEXT).regex(NOT_BLANK), z.int()])
  .nullish()

/**
 * The fields `readEventBody` accepts, as a schema for the API description.
 * `readEventBody` is the check, for its wording; change the two together.
 * Other fields are kept with the event.
 */
export const EVENT_BODY_SCHEMA = z.object({
  event_type: z
    .string()
    .max(MAX_TEXT)
    .regex(NOT_BLANK)
    .describe('Like "lead.new_inquiry"; GET /webhooks/ping lists them.'),
  event_id: identifier.describe("The tool's own id; a repeat is stored once."),
  source: z.string().max(MAX_TEXT).nullish(),
  occurred_at: z
    .string()
    .regex(ISO_WITH_ZONE)
    .nullish()
    .describe('An ISO 8601 time with its zone, like 2026-12-03T14:05:00Z.'),
  work_order_id: identifier,
  data: z.looseObject({}).nullish(),
})

/**
 * Validates `body`.
 *
 * @throws HttpProblem 422 listing every field that is wrong.
 */
export function readEventBody(body: Record<string, unknown>): EventBody {
  const errors: FieldError[] = []
  const fail = (field: string, problem: string) => {
    errors.push({ field, problem })

    return null
  }

  const event = {
    eventType: readEventType(body.event_type, fail),
    eventId: readIdentifier('event_id', body.event_id, fail),
    source: readText('source', body.source, fail),
    occurredAt: readTime(body.occurred_at, fail),
    workOrderId: readIdentifier('work_order_id', body.work_order_id, fail),
  }
  readData(body.data, fail)

  if (errors.length > 0) {
    throw new HttpProblem(
      422,
      'invalid-event',
      'The event is not valid',
      errors.map((e) => `${e.field}: ${e.problem}`).join('; '),
      { errors },
    )
  }

  return event as EventBody
}

type Fail = (field: string, problem: string) => null

function readEventType(value: unknown, fail: Fail): string | null {
  if (value === undefined || value === null) {
    return fail('event_type', 'is required, for example "lead.new_inquiry"')
  }
  if (typeof value !== 'string' || value.trim() === '') {
    return fail('event_type', 'must be a non-empty string')
  }
  if (value.length > MAX_TEXT) {
    return fail('event_type', `must be at most ${MAX_TEXT} characters`)
  }

  return value.trim()
}

function readText(field: string, value: unknown, fail: Fail): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') {
    return fail(field, `must be a string, got ${typeof value}`)
  }
  if (value.length > MAX_TEXT) {
    return fail(field, `must be at most ${MAX_TEXT} characters`)
  }

  return value
}

function readIdentifier(field: string, value: unknown, fail: Fail) {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    return String(value)
  }
  const text = readText(field, value, fail)
  if (text !== null && text.trim() === '') {
    return fail(field, 'must not be blank; leave it out instead')
  }

  return text
}

function readTime(value: unknown, fail: Fail): Date | null {
  if (value === undefined || value === null) return null

  const time = typeof value === 'string' ? new Date(value) : undefined
  if (
    typeof value !== 'string' ||
    !ISO_WITH_ZONE.test(value) ||
    Number.isNaN(time!.getTime())
  ) {
    return fail(
      'occurred_at',
      'must be an ISO 8601 time with its zone, like ' +
        `"2026-12-03T14:05:00-05:00" or "2026-12-03T19:05:00Z", got ` +
        JSON.stringify(value),
    )
  }

  return time!
}

function readData(value: unknown, fail: Fail) {
  if (value === undefined || value === null) return
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail('data', 'must be a JSON object')
  }
}
