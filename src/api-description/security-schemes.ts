/**
 * The doors' security, as OpenAPI shows it: each header a door checks
 * becomes a security scheme, and each operation lists the headers any one
 * of which lets a request in. Only names of headers and settings appear
 * here; no configured value is ever read.
 */
import type { Door, SecurityScheme } from '../doors/door.js'
import { WEBHOOK_SECRET_VARIABLES } from '../guards/webhook-secret.js'

/** An OpenAPI security scheme: a value carried in a request header. */
export interface HeaderScheme {
  type: 'apiKey'
  in: 'header'
  name: string
  description: string
}

/** One way into an operation: scheme names, each with no scopes. */
export type SecurityRequirement = Record<string, string[]>

const SIGNATURE_DESCRIPTION =
  '"sha256=" followed by the lowercase hex HMAC-SHA256 of the raw request ' +
  'body, keyed with the secret the operation names. A door whose secret ' +
  'is not set takes requests unsigned.'

// The header each scheme with one fixed header checks.
const FIXED_HEADERS: Partial<Record<SecurityScheme, HeaderScheme>> = {
  'shared-secret': headerScheme(
    'X-Webhook-Secret',
    'The shared webhook secret: one of the values set in ' +
      `${WEBHOOK_SECRET_VARIABLES.join(', ')}.`,
  ),
  'twilio-signature': headerScheme(
    'X-Twilio-Signature',
    "Twilio's signature of the URL it called and the parameters it " +
      "posted, made with the account's auth token (TWILIO_AUTH_TOKEN). " +
      'Only Twilio can make it.',
  ),
  'api-key': headerScheme(
    'X-PressOS-Key',
    'The key set in INVOICE_WORKFLOW_API_KEY. While none is set, the ' +
      'door takes no key and only the trusted networks may call it.',
  ),
}

/** The security schemes `doors` use, by name (the header's own name). */
export function securitySchemesOf(
  doors: readonly Door[],
): Record<string, HeaderScheme> {
  const schemes = doors.flatMap(headersOf)

  return Object.fromEntries(schemes.map((scheme) => [scheme.name, scheme]))
}

/**
 * The requirement of an operation of `door`: one entry per header that
 * lets a request in, none for a door without credentials of its own
 * (open, or open to the trusted networks only, as its description says).
 */
export function securityOf(door: Door): SecurityRequirement[] {
  return headersOf(door).map((scheme) => ({ [scheme.name]: [] }))
}

function headersOf(door: Door): HeaderScheme[] {
  const fixed = FIXED_HEADERS[door.security.scheme]
  if (fixed) return [fixed]
  if (door.security.scheme !== 'hmac-signature') return []

  const headers = door.security.signatureHeaders ?? []
  if (headers.length === 0) {
    throw new Error(
      `door ${door.id} is signed but names no signature header; list the ` +
        'headers its check reads in security.signatureHeaders',
    )
  }

  return headers.map((name) => headerScheme(name, SIGNATURE_DESCRIPTION))
}

function headerScheme(name: string, description: string): HeaderScheme {
  return { type: 'apiKey', in: 'header', name, description }
}
