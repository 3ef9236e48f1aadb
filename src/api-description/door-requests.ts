/**
 * What a door takes, as OpenAPI shows it: the parameters of its path, its
 * Idempotency-Key header and its body, described by the very schema that
 * checks the body.
 */
import { z } from 'zod'
import type { BodySchemaContext, Door, DoorBody } from '../doors/door.js'
import { MAX_KEY_LENGTH } from '../http/idempotency-key.js'

/** An OpenAPI parameter object. */
export interface ParameterDescription {
  name: string
  in: 'path' | 'header'
  required: boolean
  description: string
  schema: Record<string, unknown>
}

/** An OpenAPI request body object. */
export interface RequestBodyDescription {
  required: true
  content: Record<string, { schema: Record<string, unknown> }>
}

/** The name OpenAPI gives the rest of a path that ends in `*`. */
export const REST_OF_PATH = 'rest'

/**
 * `doorPath` as an OpenAPI path template: `/api/inbox/:id` becomes
 * `/api/inbox/{id}`, and a trailing `*` becomes `{rest}`.
 */
export function openApiPath(doorPath: string): string {
  return doorPath
    .replace(/:([A-Za-z_]\w*)/g, '{$1}')
    .replace(/\*$/, `{${REST_OF_PATH}}`)
}

/**
 * The parameters of an operation of `door`.
 *
 * TODO: query parameters (limit, offset, days, workspace, a file link's
 * expires and signature) are named only in each door's purpose; a `query`
 * schema on Door, read by the door as well, would list them here.
 */
export function parametersOf(door: Door): ParameterDescription[] {
  const parameters = pathParametersOf(door.path)
  if (door.idempotencyKey) {
    parameters.push(idempotencyKeyParameter(door.idempotencyKey))
  }

  return parameters
}

/**
 * The body of `door` in each media type it accepts, or undefined when it
 * describes none.
 */
export function requestBodyOf(
  door: Door,
  context: BodySchemaContext,
): RequestBodyDescription | undefined {
  if (!door.requestBody) return undefined

  const schema = jsonSchemaOf(door.requestBody, context)
  const mediaTypes = door.accepts ?? ['application/json']

  return {
    required: true,
    content: Object.fromEntries(mediaTypes.map((type) => [type, { schema }])),
  }
}

/**
 * The JSON Schema of what a body may be, read from its zod schema as
 * input: defaults make a field optional, transforms show what they take.
 * Checks that JSON Schema cannot say (refinements) are left out.
 */
export function jsonSchemaOf(
  body: DoorBody,
  context: BodySchemaContext,
): Record<string, unknown> {
  const schema =
    typeof body.schema === 'function' ? body.schema(context) : body.schema
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
  })

  return rest
}

function pathParametersOf(doorPath: string): ParameterDescription[] {
  const named = [...doorPath.matchAll(/:([A-Za-z_]\w*)/g)].map(([, name]) =>
    pathParameter(
      name!,
      name === 'id' ? 'The id, a positive whole number.' : `The ${name}.`,
    ),
  )
  if (!doorPath.endsWith('*')) return named

  const rest = pathParameter(
    REST_OF_PATH,
    'The rest of the path, slashes included, as the link gave it.',
  )

  return [...named, rest]
}

function pathParameter(
  name: string,
  description: string,
): ParameterDescription {
  return {
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string' },
  }
}

function idempotencyKeyParameter(
  use: 'required' | 'optional',
): ParameterDescription {
  return {
    name: 'Idempotency-Key',
    in: 'header',
    required: use === 'required',
    description:
      'Your name for this one operation, like a UUID: a new value for ' +
      'each new request, the same value when retrying it. A repeat gets ' +
      'the first answer again instead of doing the work twice.',
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_KEY_LENGTH,
      pattern: '^[\\x21-\\x7e][\\x20-\\x7e]*$',
    },
  }
}
