/**
 * Checks a shared secret sent in a header against the configured values,
 * in time that does not depend on where the values differ.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

// Both sides are hashed with a per-process key first, so the comparison
// always runs over equal lengths and leaks nothing about the secret's length.
const COMPARISON_KEY = randomBytes(32)

/**
 * True when `given` equals one of `accepted`. Every accepted value is
 * compared, so the time taken does not reveal which one matched.
 */
export function matchesSecret(
  given: string | undefined,
  accepted: readonly string[],
): boolean {
  if (given === undefined || given === '') return false

  const givenDigest = digest(given)
  let matched = false
  for (const secretDigest of digestsOf(accepted)) {
    matched = timingSafeEqual(givenDigest, secretDigest) || matched
  }

  return matched
}

// The accepted values are fixed for the life of their list (the server's
// configuration), so each list is hashed once.
const acceptedDigests = new WeakMap<readonly string[], Buffer[]>()

function digestsOf(accepted: readonly string[]): Buffer[] {
  let digests = acceptedDigests.get(accepted)
  if (!digests) {
    digests = accepted.map(digest)
    acceptedDigests.set(accepted, digests)
  }

  return digests
}

function digest(value: string): Buffer {
  return createHmac('sha256', COMPARISON_KEY).update(value, 'utf8').digest()
}
