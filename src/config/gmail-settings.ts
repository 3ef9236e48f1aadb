/**
 * How the service signs in to the shop's Gmail, and the labels its mail
 * doors work with.
 */
import { existsSync, readFileSync } from 'node:fs'
import { ConfigError, readHttpUrl, readText, type Env } from './env-readers.js'

/** A Google service account key, as Google's console downloads it. */
export interface ServiceAccountKey {
  client_email: string
  private_key: string
  [field: string]: unknown
}

/** The labels the mail doors look for and move threads to. */
export interface GmailLabels {
  workOrder: string
  workOrderProcessed: string
  printInvoice: string
  printInvoiceProcessed: string
  printConfirmation: string
  printConfirmationComplete: string
}

/** Gmail settings; `credentials` is undefined when none are configured. */
export interface GmailSettings {
  credentials:
    | { kind: 'service-account'; key: ServiceAccountKey; impersonate: string }
    | {
        kind: 'refresh-token'
        clientId: string
        clientSecret: string
        refreshToken: string
      }
    | undefined
  /** The mailbox: an address, or `me` for the signed-in account. */
  user: string
  /** Gmail API root, like `https://gmail.googleapis.com/`; unset in production. */
  apiRootUrl: string | undefined
  /** OAuth token endpoint; unset in production. */
  tokenUrl: string | undefined
  labels: GmailLabels
}

const LABEL_DEFAULTS: Record<keyof GmailLabels, [string, string]> = {
  workOrder: ['GMAIL_LABEL_WORK_ORDER', 'Work Order'],
  workOrderProcessed: [
    'GMAIL_LABEL_WORK_ORDER_PROCESSED',
    'Work Order Processed',
  ],
  printInvoice: ['GMAIL_LABEL_PRINT_INVOICE', 'Print Invoice'],
  printInvoiceProcessed: [
    'GMAIL_LABEL_PRINT_INVOICE_PROCESSED',
    'Print Invoice Processed',
  ],
  printConfirmation: ['GMAIL_LABEL_PRINT_CONFIRMATION', 'Print Confirmation'],
  printConfirmationComplete: [
    'GMAIL_LABEL_PRINT_CONFIRMATION_COMPLETE',
    'Print Confirmation Complete',
  ],
}

/** Reads the Gmail settings from `env`. */
export function readGmailSettings(env: Env): GmailSettings {
  return {
    credentials: readCredentials(env),
    user: readText(env, 'GMAIL_USER') ?? 'me',
    apiRootUrl: readHttpUrl(env, 'GMAIL_API_ROOT_URL'),
    tokenUrl: readHttpUrl(env, 'GOOGLE_OAUTH_TOKEN_URL'),
    labels: readLabels(env),
  }
}

function readLabels(env: Env): GmailLabels {
  const entries = Object.entries(LABEL_DEFAULTS).map(
    ([field, [name, fallback]]) => [field, readText(env, name) ?? fallback],
  )

  return Object.fromEntries(entries) as GmailLabels
}

function readCredentials(env: Env): GmailSettings['credentials'] {
  const keySource = readText(env, 'GMAIL_SERVICE_ACCOUNT_JSON')
  if (keySource !== undefined) {
    const impersonate = readText(env, 'GMAIL_IMPERSONATE')
    if (impersonate === undefined) {
      throw new ConfigError(
        'GMAIL_IMPERSONATE must name the mailbox the service account acts ' +
          'for (like orders@yourshop.com) when GMAIL_SERVICE_ACCOUNT_JSON is set',
      )
    }

    return {
      kind: 'service-account',
      key: readServiceAccountKey(keySource),
      impersonate,
    }
  }

  return readRefreshToken(env)
}

function readRefreshToken(env: Env): GmailSettings['credentials'] {
  const names = [
    'GMAIL_CLIENT_ID',
    'GMAIL_CLIENT_SECRET',
    'GMAIL_REFRESH_TOKEN',
  ]
  const values = names.map((name) => readText(env, name))
  if (values.every((value) => value === undefined)) return undefined

  const missing = names.filter((_, i) => values[i] === undefined)
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.join(' and ')} must be set too: signing in to Gmail with ` +
        `a refresh token needs ${names.join(', ')}`,
    )
  }

  const [clientId, clientSecret, refreshToken] = values as [
    string,
    string,
    string,
  ]

  return { kind: 'refresh-token', clientId, clientSecret, refreshToken }
}

// The variable holds the key itself or the path of its file. Its content
// is never quoted in an error: it is a private key.
function readServiceAccountKey(source: string): ServiceAccountKey {
  const isJson = source.startsWith('{')
  if (!isJson && !existsSync(source)) {
    throw new ConfigError(
      `GMAIL_SERVICE_ACCOUNT_JSON must hold the service account key JSON or ` +
        `the path of its file; there is no file at "${source}"`,
    )
  }

  let key: Partial<ServiceAccountKey>
  try {
    key = JSON.parse(isJson ? source : readFileSync(source, 'utf8'))
  } catch {
    throw new ConfigError(
      'GMAIL_SERVICE_ACCOUNT_JSON is not valid JSON; download the key ' +
        'again from the Google Cloud console (IAM, Service accounts, Keys)',
    )
  }
  if (
    typeof key.client_email !== 'string' ||
    typeof key.private_key !== 'string'
  ) {
    throw new ConfigError(
      'GMAIL_SERVICE_ACCOUNT_JSON must be a service account key with ' +
        'client_email and private_key',
    )
  }

  return key as ServiceAccountKey
}
