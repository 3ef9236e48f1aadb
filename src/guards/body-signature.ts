/**
 * The guard of signed integration doors: a header holds `sha256=` and the
 * lowercase hex HMAC-SHA256 of the raw body, made with a shared secret (the
 * form of GitHub's `X-Hub-Signature-256`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from '../http/problem.js'

/** How a door's signature is configured. */
export interface SignatureRule {
  /** Accepted secrets; none leaves the door unsigned. */
  secrets: readonly string[]
  /** Headers that may carry the signature, like `X-Signature`. */
  headers: readonly string[]
  /** The variable that holds the secrets, for error details. */
  variable: string
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i

/**
 * Lets the request through when a signature header holds a valid signature
 * of its raw body, or when the door has no secret.
 *
 * @throws HttpProblem 401 when no header holds a valid signature.
 */
export function requireBodySignature(
  request: FastifyRequest,
  rule: SignatureRule,
): void {
  if (rule.secrets.length === 0) return

  const given = rule.headers
    .map((name) => request.headers[name.toLowerCase()])
    .filter((value): value is string => typeof value === 'string')
  if (given.length === 0) {
    throw unsigned(
      `The request carries no signature. Send ${headerList(rule)} with ` +
        '"sha256=" and the hex HMAC-SHA256 of the body, keyed with the ' +
        `secret in ${rule.variable}.`,
    )
  }

  const body = request.rawBody ?? Buffer.alloc(0)
  if (!given.some((value) => isValidSignature(value, body, rule.secrets))) {
    throw unsigned(
      `The signature does not match the body. Sign the exact bytes sent ` +
        `(not a re-serialised copy) with the secret in ${rule.variable}, ` +
        'and send "sha256=" followed by the lowercase hex digest.',
    )
  }
}

/** True when `header` is a signature of `body` under one of `secrets`. */
export function isValidSignature(
  header: string,
  body: Buffer,
  secrets: readonly string[],
): boolean {
  const match = SIGNATURE.exec(header.trim())
  if (!match) return false

  const given = Buffer.from(match[1]!.toLowerCase(), 'hex')
  let valid = false
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest()
    valid = timingSafeEqual(given, expected) || valid
  }

  return valid
}

function headerList(rule: SignatureRule): string {
  const names = rule.headers
  if (names.length === 1) return names[0]!

  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`
}

function unsigned(detail: string): HttpProblem {
  return new HttpProblem(401, 'bad-signature', 'Signature required', detail)
}
