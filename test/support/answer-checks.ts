/**
 * What every answer of the service must look like, whatever was sent: no
 * fault of ours (5xx) except a door's documented 503 while it is closed,
 * and every refusal an `application/problem+json` body with its type,
 * title, status and detail.
 */
import assert from 'node:assert/strict'
import type { Config } from '../../src/config/environment.js'
import { credentialsOf } from '../../src/console/door-credentials.js'
import type { Door } from '../../src/doors/door.js'
import { PROBLEM_TYPE_BASE } from '../../src/http/problem.js'

/** An answer, as `app.inject` or a raw socket gives it. */
export interface Answer {
  statusCode: number
  headers: Record<string, unknown>
  body: string
}

/**
 * Asserts that `answer`, to a `method` request for `door`, is a success or
 * a well-formed refusal, and no fault of ours; `faults`, what the service
 * logged as its own errors meanwhile, explain a failure.
 */
export function assertWellAnswered(
  answer: Answer,
  door: Door,
  config: Config,
  method: string,
  faults: string[] = [],
): void {
  if (answer.statusCode < 400) return

  const problem = assertProblem(answer, method)
  if (answer.statusCode < 500) return

  assert.ok(
    answer.statusCode === 503 && isDocumentedClosure(door, config, problem),
    `${door.id} answered ${answer.statusCode} ` +
      `(${problem?.type ?? 'no problem type'}); the service logged: ` +
      (faults.join('\n') || 'nothing'),
  )
}

/** The `type` of a problem, or undefined for a HEAD answer. */
interface ProblemFacts {
  type: string
}

/**
 * Asserts that `answer` is `application/problem+json` with type, title,
 * status and detail; a HEAD answer carries no body to check.
 */
export function assertProblem(
  answer: Answer,
  method: string,
): ProblemFacts | undefined {
  if (method === 'HEAD') return undefined

  const type = String(answer.headers['content-type'] ?? '')
  assert.match(
    type,
    /^application\/problem\+json/,
    `a ${answer.statusCode} answer is ${type || 'untyped'}: ` +
      answer.body.slice(0, 200),
  )
  const problem = JSON.parse(answer.body) as Record<string, unknown>
  assert.equal(problem.status, answer.statusCode, 'problem status')
  assert.ok(
    typeof problem.type === 'string' &&
      problem.type.startsWith(PROBLEM_TYPE_BASE),
    `problem type ${String(problem.type)}`,
  )
  for (const field of ['title', 'detail']) {
    const text = problem[field]
    assert.ok(
      typeof text === 'string' && text.trim() !== '',
      `problem ${field} is ${JSON.stringify(text)}`,
    )
  }

  return { type: problem.type as string }
}

// A door closed for want of its settings answers 503 naming them.
function isDocumentedClosure(
  door: Door,
  config: Config,
  problem: ProblemFacts | undefined,
): boolean {
  if (credentialsOf(door, config).state !== 'closed') return false

  return problem === undefined || problem.type.endsWith('-not-configured')
}
