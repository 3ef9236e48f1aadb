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

  // One walk finds both faults; nesting is refused first.
  const faults = findJsonFaults(value)
  if (faults.tooDeep) throw tooDeep()
  if (faults.unstorableAt !== undefined) throw unstorable(faults.unstorableAt)

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
  if (findJsonFaults(value).tooDeep) throw tooDeep()
}

/**
 * Refuses `value` when a key or string in it cannot be stored as text or
 * jsonb in PostgreSQL: a NUL character, or half of a surrogate pair.
 *
 * @throws HttpProblem 422 naming where the text is.
 */
export function requireStorableText(value: unknown): void {
  const { unstorableAt } = findJsonFaults(value)
  if (unstorableAt !== undefined) throw unstorable(unstorableAt)
}

function tooDeep(): HttpProblem {
  return new HttpProblem(
    422,
    'invalid-body',
    'Body is nested too deeply',
    `The body nests objects and arrays more than ${MAX_JSON_DEPTH} ` +
      'levels deep, more than any door reads. Flatten it and send it again.',
  )
}

function unstorable(path: string): HttpProblem {
  return new HttpProblem(
    422,
    'invalid-body',
    'Body holds text that cannot be stored',
    `The text at ${path || 'the top level'} holds a NUL character ` +
      '(\\u0000) or half of a UTF-16 surrogate pair, which PostgreSQL ' +
      'cannot store. Remove it and send the body again.',
  )
}

/** What is wrong with a parsed JSON value, if anything. */
interface JsonFaults {
  /** Objects and arrays nest deeper than `MAX_JSON_DEPTH`. */
  tooDeep: boolean
  /** Path of the first key or string PostgreSQL cannot store. */
  unstorableAt?: string | undefined
}

/**
 * Walks `value` once. The walk stops going down past `MAX_JSON_DEPTH`, so
 * that no body, however deep, can exhaust the stack.
 */
function findJsonFaults(value: unknown): JsonFaults {
  const faults: JsonFaults = { tooDeep: false }
  walk(value, '', 0, faults)

  return faults
}

function walk(value: unknown, path: string, depth: number, faults: JsonFaults) {
  if (depth > MAX_JSON_DEPTH) {
    faults.tooDeep = true

    return
  }
  if (typeof value === 'string') {
    if (!isStorableText(value)) faults.unstorableAt ??= path

    return
  }
  if (value === null || typeof value !== 'object') return

  for (const [key, item] of Object.entries(value)) {
    const itemPath = path === '' ? key : `${path}.${key}`
    if (!isStorableText(key)) faults.unstorableAt ??= itemPath

    walk(item, itemPath, depth + 1, faults)
    if (faults.tooDeep) return
  }
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

const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text)
}
