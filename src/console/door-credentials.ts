/**
 * Whether each door's secret, key or network rule is in place on this
 * deployment, in the shop's words. Only the fact that a secret is set is
 * ever told, never its value.
 */
import type { Config } from '../config/environment.js'
import type { Door } from '../doors/door.js'
import { WEBHOOK_SECRET_VARIABLES } from '../guards/webhook-secret.js'

/**
 * `ready`: the door checks its callers as described. `unsigned`: a signed
 * door without a secret, open to anyone who reaches it. `closed`: the door
 * answers 503 until something is configured. `network`: only the trusted
 * networks may call it. `open`: anyone may call it, by design or because
 * `TRUSTED_NETWORKS=any`.
 */
export type CredentialState =
  'ready' | 'unsigned' | 'closed' | 'network' | 'open'

/** A door's credentials as configured here. */
export interface DoorCredentials {
  state: CredentialState
  /** One or two sentences for the operator. */
  words: string
  /**
   * The shell variable a caller keeps the secret in, as the door's example
   * request uses it; undefined for doors that take no secret.
   */
  secretVariable?: string
}

/** The environment variable of each signed integration door's secrets. */
const HMAC_SECRETS: Record<string, { variable: string; of: SecretOf }> = {
  'api.inbox.insights': {
    variable: 'PRINTBRAIN_WEBHOOK_SECRET',
    of: (config) => config.insightSecrets,
  },
  'api.pricing.quote': {
    variable: 'PRESSOS_PRICING_HMAC_SECRET',
    of: (config) => config.pricingSecrets,
  },
}

type SecretOf = (config: Config) => readonly string[]

// These doors read the shop's Gmail and answer 503 without credentials.
const GMAIL_DOORS = new Set([
  'api.gmail.ingest',
  'api.gmail.ingest-print-invoices',
  'api.gmail.ingest-print-confirmations',
  'api.print-confirmation-pdf-uploads.ack',
  'api.gmail.inbox-stale-check',
])

// These doors answer 503 until the VAPID keys of Web Push are set.
const WEB_PUSH_DOORS = new Set([
  'api.push.vapid-key',
  'api.push.subscriptions.create',
])

/** How `door` checks its callers under `config`. */
export function credentialsOf(door: Door, config: Config): DoorCredentials {
  const checked = callerCheckOf(door, config)
  const missing = missingServiceOf(door, config)
  if (missing === undefined) return checked

  return { ...checked, state: 'closed', words: `${missing} ${checked.words}` }
}

// The trusted networks in words: the list, or a warning for `any`.
function describeNetworks(networks: Config['trustedNetworks']): string {
  if (networks === 'any') {
    return (
      'TRUSTED_NETWORKS=any: every address on the internet may call it. ' +
      'Put a firewall or proxy in front, or list the networks.'
    )
  }

  return `Only callers from ${networks.join(', ')} (TRUSTED_NETWORKS).`
}

function callerCheckOf(door: Door, config: Config): DoorCredentials {
  switch (door.security.scheme) {
    case 'shared-secret':
      return sharedSecret(config)
    case 'twilio-signature':
      return twilioToken(config)
    case 'hmac-signature':
      return bodySignature(door, config)
    case 'api-key':
      return apiKey(config)
    case 'trusted-network':
      return networkOnly(config)
    case 'none':
      return { state: 'open', words: 'Open to every caller by design.' }
  }
}

// A service the door needs beside its credentials, when it is missing.
function missingServiceOf(door: Door, config: Config): string | undefined {
  if (GMAIL_DOORS.has(door.id) && config.gmail.credentials === undefined) {
    return (
      'Closed: Gmail is not configured, so it answers 503 until the ' +
      'Gmail credentials are set (see the start-up log).'
    )
  }
  if (WEB_PUSH_DOORS.has(door.id) && config.push.webPush === undefined) {
    return (
      'Closed: Web Push is not set up, so it answers 503 until ' +
      'VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT are set.'
    )
  }

  return undefined
}

function sharedSecret(config: Config): DoorCredentials {
  if (config.webhookSecrets.length === 0) {
    return {
      state: 'closed',
      words:
        'Closed: no webhook secret is set, so it answers 503. Set ' +
        `${WEBHOOK_SECRET_VARIABLES[0]} and restart.`,
      secretVariable: WEBHOOK_SECRET_VARIABLES[0],
    }
  }

  return {
    state: 'ready',
    words: `Webhook secret configured (${countOf(config.webhookSecrets)}).`,
    secretVariable: WEBHOOK_SECRET_VARIABLES[0],
  }
}

function twilioToken(config: Config): DoorCredentials {
  if (config.twilioAuthTokens.length === 0) {
    return {
      state: 'closed',
      words:
        'Closed: TWILIO_AUTH_TOKEN is not set, so it answers 503 to ' +
        'every callback.',
      secretVariable: 'TWILIO_AUTH_TOKEN',
    }
  }

  return {
    state: 'ready',
    words: `Twilio auth token configured (${countOf(config.twilioAuthTokens)}).`,
    secretVariable: 'TWILIO_AUTH_TOKEN',
  }
}

function bodySignature(door: Door, config: Config): DoorCredentials {
  const rule = HMAC_SECRETS[door.id]
  if (!rule) {
    return { state: 'ready', words: 'Signed; its secret is not listed here.' }
  }
  if (rule.of(config).length === 0) {
    return {
      state: 'unsigned',
      words:
        `Unsigned: ${rule.variable} is not set, so anyone who can reach ` +
        'it may post. Set it to require signatures.',
      secretVariable: rule.variable,
    }
  }

  return {
    state: 'ready',
    words: `Signing secret configured (${countOf(rule.of(config))}).`,
    secretVariable: rule.variable,
  }
}

function apiKey(config: Config): DoorCredentials {
  if (config.invoiceWorkflowApiKeys.length > 0) {
    return {
      state: 'ready',
      words:
        'X-PressOS-Key required: INVOICE_WORKFLOW_API_KEY configured ' +
        `(${countOf(config.invoiceWorkflowApiKeys)}).`,
      secretVariable: 'INVOICE_WORKFLOW_API_KEY',
    }
  }

  return {
    ...networkOnly(config),
    words:
      'No INVOICE_WORKFLOW_API_KEY set. ' +
      describeNetworks(config.trustedNetworks),
  }
}

function networkOnly(config: Config): DoorCredentials {
  return {
    state: config.trustedNetworks === 'any' ? 'open' : 'network',
    words: describeNetworks(config.trustedNetworks),
  }
}

function countOf(values: readonly string[]): string {
  return values.length === 1 ? '1 value' : `${values.length} values`
}

/** How each state is labelled on the page: words and a badge tone. */
export const CREDENTIAL_BADGES: Record<
  CredentialState,
  { label: string; tone: 'ok' | 'warn' | 'bad' | '' }
> = {
  ready: { label: 'configured', tone: 'ok' },
  unsigned: { label: 'unsigned', tone: 'warn' },
  closed: { label: 'closed', tone: 'bad' },
  network: { label: 'trusted networks only', tone: 'ok' },
  open: { label: 'open', tone: '' },
}
