/**
 * Reads `application/x-www-form-urlencoded` bodies into their parameters,
 * all of them, as sent.
 */
import type { FastifyRequest } from 'fastify'
import { mediaTypeOf } from './request-body.js'

/** Form parameters; a name sent more than once keeps every value. */
export type FormParams = Record<string, string | string[]>

/** True when the request's body is a URL-encoded form. */
export function isFormBody(request: FastifyRequest): boolean {
  return mediaTypeOf(request) === 'application/x-www-form-urlencoded'
}

/** The parameters of the form body of `request`. */
export function readFormParams(request: FastifyRequest): FormParams {
  const params: FormParams = {}
  const text = request.rawBody?.toString('utf8') ?? ''

  for (const [name, value] of new URLSearchParams(text)) {
    const earlier = params[name]
    if (earlier === undefined) params[name] = value
    else params[name] = [...[earlier].flat(), value]
  }

  return params
}
