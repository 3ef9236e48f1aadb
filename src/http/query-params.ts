/**
 * Reads numbers from a request's query string, refusing what is not one.
 */
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from './problem.js'

/**
 * The whole number `name` of the query, `fallback` when absent.
 *
 * @throws HttpProblem 400 naming the parameter and its allowed range.
 */
export function queryInteger(
  request: FastifyRequest,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const value = (request.query as Record<string, unknown>)[name]
  if (value === undefined || value === '') return fallback

  const number = Number(value)
  if (
    typeof value !== 'string' ||
    !/^\d+$/.test(value) ||
    number < range.min ||
    number > range.max
  ) {
    throw new HttpProblem(
      400,
      'bad-query',
      'Bad query parameter',
      `${name} must be a whole number from ${range.min} to ${range.max}, ` +
        `got ${JSON.stringify(value)}.`,
    )
  }

  return number
}

/**
 * The whole-number path parameter `name`.
 *
 * @throws HttpProblem 404 when it is not a positive whole number.
 */
export function pathId(request: FastifyRequest, name: string): number {
  const value = (request.params as Record<string, string>)[name] ?? ''
  const id = Number(value)
  if (!/^\d{1,15}$/.test(value) || id < 1) {
    throw new HttpProblem(
      404,
      'not-found',
      'Not found',
      `There is nothing with the id ${JSON.stringify(value)}; ids are ` +
        'positive whole numbers.',
    )
  }

  return id
}
