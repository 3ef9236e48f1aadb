/**
 * Reading what the shop's mail is about from its subject line.
 */

const REPLY_PREFIX = /^\s*(?:re|fwd?|aw|wg)\s*(?:\[\d+\])?\s*:\s*/i

/** The subject without its `Re:` and `Fwd:` prefixes, however many. */
export function baseSubject(subject: string): string {
  let rest = subject.trim()
  while (REPLY_PREFIX.test(rest)) rest = rest.replace(REPLY_PREFIX, '')

  return rest.trim()
}

const PROOF_APPROVAL = /^proof approval needed\b\s*(.*)$/i

/**
 * The work-order name in a print partner's proof-approval subject, or
 * undefined when the subject is not one. Accepted, in any case and after
 * any `Re:`/`Fwd:`: `Proof approval needed - Smith Tees`,
 * `Proof approval needed: Smith Tees`, `Proof approval needed (Photo) -
 * Smith Tees`, `Proof approval needed (Smith Tees)` and
 * `Proof approval needed (Photo) (Smith Tees)`.
 */
export function proofApprovalWorkOrder(subject: string): string | undefined {
  const match = PROOF_APPROVAL.exec(baseSubject(subject))
  if (!match) return undefined

  let rest = match[1]!.trim()
  rest = rest.replace(/^\(\s*photo\s*\)\s*/i, '')
  rest = rest.replace(/^[-–—:|]+\s*/, '')
  const wrapped = /^\((.+)\)$/.exec(rest)
  const name = (wrapped ? wrapped[1]! : rest).trim()

  return name === '' ? undefined : name
}
