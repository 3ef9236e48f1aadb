/**
 * Bodies are kept as the raw bytes that arrived, so that a door can check a
 * signature over exactly what was sent before it parses anything.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import secureJson from 'secure-json-parse'
import { HttpProblem } from './problem.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received, when the request had one. */
    rawBody?: Buffer
  }
}

/** Media types like `application/cloudevents+json`. */
const JSON_SUFFIX_TYPE = /^application\/[\w.+-]+\+json$/

type Done = (error: Error | null, body?: unknown) => void

/** Installs body readers that keep the raw bytes, up to `maxBodyBytes`. */
export function installBodyReaders(app: FastifyInstance, maxBodyBytes: number) {
  app.removeAllContentTypeParsers()

  const keepRaw = (request: FastifyRequest, body: unknown, done: Done) => {
    request.rawBody = body as Buffer
    done(null, body)
  }
  const options = { parseAs: 'buffer' as const, bodyLimit: maxBodyBytes }

  app.addContentTypeParser('application/json', options, keepRaw)
  app.addContentTypeParser(JSON_SUFFIX_TYPE, options, keepRaw)
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    options,
    keepRaw,
  )
}

/**
 * Parses the raw body of `request` as a JSON object.
 *
 * @throws HttpProblem 415 when the body is not JSON, 400 when it does not
 *   parse, 422 when it is JSON but not an object.
 */
export function readJsonObject(
  request: FastifyRequest,
): Record<string, unknown> {
  const raw = request.rawBody
  if (raw === undefined || !isJsonBody(request)) {
    throw new HttpProblem(
      415,
      'unsupported-media-type',
      'Unsupported content type',
      'Send the body as JSON with "Content-Type: application/json".',
    )
  }

  const value = parseJson(raw)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpProblem(
      422,
      'invalid-body',
      'Body is not a JSON object',
      `The body must be one JSON object, got ${describeJson(value)}.`,
    )
  }

  requireShallowJson(value)
  requireStorableText(value)

  return value as Record<string, unknown>
}

/** Deepest nesting of objects and arrays a JSON body may have. */
export const MAX_JSON_DEPTH = 64

/**
 * Refuses `value` when it nests objects and arrays deeper than
 * `MAX_JSON_DEPTH`, before anything walks it by recursion.
 *
 * @throws HttpProblem 422 saying how deep a body may go.
 */
export function requireShallowJson(value: unknown): void {
  if (!isNestedDeeperThan(value, MAX_JSON_DEPTH)) return

  throw new HttpProblem(
    422,
    'invalid-body',
    'Body is nested too deeply',
    `The body nests objects and arrays more than ${MAX_JSON_DEPTH} ` +
      'levels deep, more than any door reads. Flatten it and send it again.',
  )
}

/**
 * Refuses `value` when a key or string in it cannot be stored as text or
 * jsonb in PostgreSQL: a NUL character, or half of a surrogate pair.
 *
 * @throws HttpProblem 422 naming where the text is.
 */
export function requireStorableText(value: unknown): void {
  const unstorable = findUnstorableText(value, '')
  if (unstorable === undefined) return

  throw new HttpProblem(
    422,
    'invalid-body',
    'Body holds text that cannot be stored',
    `The text at ${unstorable || 'the top level'} holds a NUL character ` +
      '(\\u0000) or half of a UTF-16 surrogate pair, which PostgreSQL ' +
      'cannot store. Remove it and send the body again.',
  )
}

// Level by level rather than by recursion, so any depth can be measured.
function isNestedDeeperThan(value: unknown, limit: number): boolean {
  let level = [value]
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > limit) return true

    level = level.flatMap((item) =>
      item !== null && typeof item === 'object' ? Object.values(item) : [],
    )
  }

  return false
}

/** True when the request's body is JSON. */
export function isJsonBody(request: FastifyRequest): boolean {
  const type = mediaTypeOf(request)

  return type === 'application/json' || JSON_SUFFIX_TYPE.test(type)
}

/** The media type of the request's body, lower-case, without parameters. */
export function mediaTypeOf(request: FastifyRequest): string {
  const header = request.headers['content-type'] ?? ''

  return header.split(';')[0]!.trim().toLowerCase()
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) {
    throw new HttpProblem(
      400,
      'malformed-json',
      'Malformed JSON',
      'The body is empty; send one JSON object.',
    )
  }

  try {
    return secureJson.parse(raw.toString('utf8'), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    })
  } catch (error) {
    throw new HttpProblem(
      400,
      'malformed-json',
      'Malformed JSON',
      `The body is not valid JSON (${(error as Error).message}). ` +
        'Check quoting and commas, then send it again.',
    )
  }
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'

  return `a ${typeof value}`
}

/**
 * The path of the first key or string in `value` that PostgreSQL cannot
 * store as text or jsonb, or undefined when there is none.
 */
function findUnstorableText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') {
    return isStorableText(value) ? undefined : path
  }
  if (value === null || typeof value !== 'object') return undefined

  for (const [key, item] of Object.entries(value)) {
    const itemPath = path === '' ? key : `${path}.${key}`
    if (!isStorableText(key)) return itemPath

    const found = findUnstorableText(item, itemPath)
    if (found !== undefined) return found
  }

  return undefined
}

const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text)
}
