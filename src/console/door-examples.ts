/**
 * A request each door accepts, as a shell command to copy: curl, with the
 * signature computed by openssl where the door wants one. Secrets appear
 * only as shell variables (`$WEBHOOK_SECRET`), never as values.
 */
import type { Door } from '../doors/door.js'
import type { PriceList } from '../pricing/price-list.js'
import type { DoorCredentials } from './door-credentials.js'
import { exampleJsonBody, exampleTwilioParams } from './example-bodies.js'

/** A door's example request, or why there is none. */
export type DoorExample = { command: string } | { none: string }

/** What an example is built from. */
export interface ExampleInput {
  door: Door
  /** The door's full URL on this deployment. */
  url: string
  credentials: DoorCredentials
  priceList: PriceList
}

// Doors no one calls by hand, and why.
const NO_EXAMPLE: Record<string, string> = {
  'files.link':
    'Each file link is handed out, signed, in the answer that names the ' +
    'file; open that link as it is.',
  'api.push.subscriptions.create':
    "The browser sends its own subscription (the Notifications page's " +
    'button does it).',
}

/** The example request of `input.door`. */
export function exampleFor(input: ExampleInput): DoorExample {
  const reason = NO_EXAMPLE[input.door.id]
  if (reason) return { none: reason }

  const variable = input.credentials.secretVariable
  switch (input.door.security.scheme) {
    case 'shared-secret':
      return { command: sharedSecretExample(input, variable) }
    case 'hmac-signature':
      return { command: signedBodyExample(input, variable) }
    case 'twilio-signature':
      return twilioExample(input, variable)
    case 'api-key':
      return { command: plainExample(input, apiKeyHeader(variable)) }
    default:
      return { command: plainExample(input, []) }
  }
}

/** `text` as one single-quoted shell word. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

function sharedSecretExample(input: ExampleInput, variable = 'WEBHOOK_SECRET') {
  const body = exampleJsonBody(input.door.id, input.priceList) ?? '{}'

  return lines([
    `curl -sS -X POST ${shellQuote(input.url)}`,
    `-H 'Content-Type: application/json'`,
    `-H "X-Webhook-Secret: $${variable}"`,
    `--data-binary ${shellQuote(body)}`,
  ])
}

function signedBodyExample(input: ExampleInput, variable = 'SECRET') {
  const body = exampleJsonBody(input.door.id, input.priceList) ?? '{}'
  const header = input.door.security.signatureHeaders?.[0] ?? 'X-Signature'
  const hmac =
    `printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$${variable}"` +
    ` | awk '{print $NF}'`

  return [
    `BODY=${shellQuote(body)}`,
    `SIGNATURE="sha256=$(${hmac})"`,
    lines([
      `curl -sS -X POST ${shellQuote(input.url)}`,
      `-H 'Content-Type: application/json'`,
      `-H "Idempotency-Key: $(openssl rand -hex 16)"`,
      `-H "${header}: $SIGNATURE"`,
      `--data-binary "$BODY"`,
    ]),
  ].join('\n')
}

// Twilio signs the URL followed by each parameter's name and value, the
// parameters sorted by name, with HMAC-SHA1 in base64.
function twilioExample(
  input: ExampleInput,
  variable = 'TWILIO_AUTH_TOKEN',
): DoorExample {
  const params = exampleTwilioParams(input.door.id)
  if (!params) return { none: 'Twilio calls this door on its own.' }

  const names = Object.keys(params).sort()
  const signed = names.map((name) =>
    [name, params[name]!].map(shellQuote).join(' '),
  )
  const digest = `openssl dgst -sha1 -hmac "$${variable}" -binary | base64`

  return {
    command: [
      `URL=${shellQuote(input.url)}`,
      `SIGNATURE=$(${lines([`printf '%s' "$URL"`, ...signed])} \\`,
      `  | ${digest})`,
      lines([
        `curl -sS -X POST "$URL"`,
        `-H "X-Twilio-Signature: $SIGNATURE"`,
        ...names.map(
          (name) => `--data-urlencode ${shellQuote(`${name}=${params[name]}`)}`,
        ),
      ]),
    ].join('\n'),
  }
}

function apiKeyHeader(variable: string | undefined): string[] {
  return variable === undefined ? [] : [`-H "X-PressOS-Key: $${variable}"`]
}

function plainExample(input: ExampleInput, headers: string[]): string {
  const method = input.door.methods[0]!
  const url = input.url.replace(/:id\b/, '1')
  const body =
    method === 'GET'
      ? undefined
      : exampleJsonBody(input.door.id, input.priceList)
  const start =
    method === 'GET'
      ? `curl -sS ${shellQuote(url)}`
      : `curl -sS -X ${method} ${shellQuote(url)}`

  return lines([
    start,
    ...headers,
    ...(body === undefined
      ? []
      : [
          `-H 'Content-Type: application/json'`,
          `--data-binary ${shellQuote(body)}`,
        ]),
  ])
}

// One command over several lines, each continued with a backslash.
function lines(parts: string[]): string {
  return parts.join(' \\\n  ')
}
