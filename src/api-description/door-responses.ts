/**
 * What a door answers, as OpenAPI shows it: its success, and every refusal
 * its guards, its body, its Idempotency-Key and the door itself may give,
 * each as an RFC 9457 problem.
 */
import type { Door, DoorRefusal, DoorSuccess } from '../doors/door.js'
import type { SecurityScheme } from '../doors/door.js'

/** An OpenAPI response object. */
export interface ResponseDescription {
  description: string
  content?: Record<string, { schema?: Record<string, unknown> }>
}

/** Where the shared problem schema is kept in the document. */
export const PROBLEM_REF = '#/components/schemas/Problem'

/** The body of every refusal: `application/problem+json`. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  description:
    'A refusal (RFC 9457). Refusals of a body that is not valid add ' +
    '`errors`, one entry for each field at fault.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'The kind.' },
    title: { type: 'string', description: 'Short, the same for a kind.' },
    status: { type: 'integer', description: 'The HTTP status.' },
    detail: {
      type: 'string',
      description: 'What was wrong with this request and what to do.',
    },
    instance: { type: 'string', description: 'The path requested.' },
    request_id: {
      type: 'string',
      description: 'The request id, also in the X-Request-Id header.',
    },
  },
}

const DEFAULT_SUCCESS: DoorSuccess = {
  status: 200,
  mediaType: 'application/json',
  description: 'Done; the answer is JSON.',
}

const BODY_REFUSALS: DoorRefusal[] = [
  { status: 400, when: 'The body does not parse.' },
  { status: 413, when: 'The body is larger than MAX_BODY_BYTES.' },
  { status: 415, when: 'The body is of a media type the door does not take.' },
  { status: 422, when: 'The body parses but is not valid.' },
]

const SECURITY_REFUSALS: Record<SecurityScheme, DoorRefusal[]> = {
  none: [],
  'shared-secret': [
    { status: 401, when: 'X-Webhook-Secret is missing or wrong.' },
    { status: 503, when: 'No webhook secret is configured.' },
  ],
  'twilio-signature': [
    { status: 400, when: 'X-Twilio-Signature is missing.' },
    { status: 403, when: 'X-Twilio-Signature does not match.' },
    { status: 503, when: 'No Twilio auth token is configured.' },
  ],
  'hmac-signature': [
    { status: 401, when: 'The signature is missing or does not match.' },
  ],
  'api-key': [
    { status: 401, when: 'X-PressOS-Key is missing or wrong.' },
    {
      status: 403,
      when: 'No key is configured and the caller is not on a trusted network.',
    },
  ],
  'trusted-network': [
    { status: 403, when: 'The caller is not on a trusted network.' },
  ],
}

const KEY_REFUSALS: Record<'required' | 'optional', DoorRefusal[]> = {
  required: [
    { status: 400, when: 'Idempotency-Key is missing or malformed.' },
    { status: 409, when: 'The first request with this key is still running.' },
    { status: 422, when: 'This key was used before with another body.' },
  ],
  optional: [
    { status: 400, when: 'Idempotency-Key is malformed.' },
    { status: 422, when: 'This key was used before with another body.' },
  ],
}

/** The responses of an operation of `door`, by status. */
export function responsesOf(door: Door): Record<string, ResponseDescription> {
  const success = door.success ?? DEFAULT_SUCCESS
  const responses: Record<string, ResponseDescription> = {
    [success.status]: successResponse(success),
  }
  for (const [status, reasons] of refusalsByStatus(door)) {
    responses[status] = problemResponse(reasons)
  }

  return responses
}

function successResponse(success: DoorSuccess): ResponseDescription {
  if (success.mediaType === undefined) {
    return { description: success.description }
  }

  const isJson = /[/+]json$/.test(success.mediaType)

  return {
    description: success.description,
    content: {
      [success.mediaType]: isJson ? { schema: { type: 'object' } } : {},
    },
  }
}

/** Every refusal of `door`, grouped by status, lowest status first. */
function refusalsByStatus(door: Door): Map<number, string[]> {
  const refusals = [
    ...SECURITY_REFUSALS[door.security.scheme],
    ...(door.accepts ? BODY_REFUSALS : []),
    ...(door.idempotencyKey ? KEY_REFUSALS[door.idempotencyKey] : []),
    ...(door.refusals ?? []),
  ].sort((a, b) => a.status - b.status)

  const byStatus = new Map<number, string[]>()
  for (const { status, when } of refusals) {
    const reasons = byStatus.get(status) ?? []
    if (!reasons.includes(when)) reasons.push(when)
    byStatus.set(status, reasons)
  }

  return byStatus
}

function problemResponse(reasons: string[]): ResponseDescription {
  return {
    description: reasons.join(' '),
    content: {
      'application/problem+json': { schema: { $ref: PROBLEM_REF } },
    },
  }
}
