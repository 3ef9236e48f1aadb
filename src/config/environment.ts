/**
 * Every setting of PressOS Inbound, read once from environment variables at
 * start. A bad value stops the service with one line that names the variable,
 * what it holds and what is allowed.
 */
import { isIP } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  ConfigError,
  readHttpUrl,
  readInteger,
  readText,
  splitList,
  type Env,
} from './env-readers.js'
import {
  readFileStorageSettings,
  type FileStorageSettings,
} from './file-storage-settings.js'
import {
  readConsoleSettings,
  type ConsoleSettings,
} from './console-settings.js'
import { readGmailSettings, type GmailSettings } from './gmail-settings.js'
import {
  readStaleInboxSettings,
  type StaleInboxSettings,
} from './inbox-settings.js'
import { readPushSettings, type PushSettings } from './push-settings.js'

/** The validated settings the service runs with. */
export interface Config {
  /** TCP port to listen on. */
  port: number
  /** Interface to listen on. */
  host: string
  /** Prefix in front of every route, like `/pressos`; empty for none. */
  basePath: string
  /** Origin (and optional path) callers use when a proxy stands in front. */
  publicBaseUrl: string | undefined
  /** Addresses and CIDR ranges whose forwarding headers are believed. */
  trustedProxies: string[]
  /** PostgreSQL URL; undefined runs the embedded database in `dataDir`. */
  databaseUrl: string | undefined
  /** Folder for the embedded database and local files. */
  dataDir: string
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number
  /**
   * Most events that may wait for the next activity-log write; beyond it the
   * events door answers 503 with `Retry-After` instead of queueing more.
   */
  eventQueueLimit: number
  /** Accepted values of the `X-Webhook-Secret` header. */
  webhookSecrets: string[]
  /** Path of the follow-up rules file. */
  followUpRulesPath: string
  push: PushSettings
  staleInbox: StaleInboxSettings
  /** How many times a failing follow-up job is tried again. */
  jobRetryLimit: number
  /** First retry delay of a failing job, in seconds; it doubles each time. */
  jobRetryDelaySeconds: number
  /**
   * Longest a follow-up job may run, in seconds; one left running by a
   * process that died is tried again after it.
   */
  jobTimeoutSeconds: number
  /** Follow-up jobs a process runs side by side. */
  jobConcurrency: number
  /** pino log level. */
  logLevel: string
  /** Twilio auth tokens that may have signed a callback (primary first). */
  twilioAuthTokens: string[]
  /** The base URL Twilio calls, when a proxy hides it from the service. */
  twilioWebhookPublicBaseUrl: string | undefined
  /**
   * Addresses and ranges allowed to use the doors and reads that carry no
   * credentials of their own; `any` when the operator opened them to all.
   */
  trustedNetworks: string[] | 'any'
  /** Secrets that sign `/api/inbox/insights`; empty leaves it unsigned. */
  insightSecrets: string[]
  /** Secrets that sign `/api/pricing/quote`; empty leaves it unsigned. */
  pricingSecrets: string[]
  /** How long an Idempotency-Key and its stored answer are kept, in hours. */
  idempotencyTtlHours: number
  /** Path of the price list file. */
  priceListPath: string
  /** The shop's IANA time zone, for its calendar dates (lead times). */
  shopTimeZone: string
  /** Accepted values of `X-PressOS-Key` on the mail doors; none: open. */
  invoiceWorkflowApiKeys: string[]
  /** Bearer tokens that may read `/metrics`; none: console users only. */
  metricsTokens: string[]
  gmail: GmailSettings
  files: FileStorageSettings
  /** Who may sign in to the operator console. */
  console: ConsoleSettings
}

const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]

/** Where the shipped follow-up rules live. */
export const DEFAULT_RULES_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../rules/follow-up-rules.yaml',
)

/** Where the shipped price list lives. */
export const DEFAULT_PRICE_LIST_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../pricing/price-list.yaml',
)

/**
 * Reads and validates every setting from `env`.
 *
 * @throws ConfigError naming the first variable that is wrong.
 */
export function loadConfig(env: Env = process.env): Config {
  return {
    port: readInteger(env, 'PORT', 3000, 0, 65535),
    host: readText(env, 'HOST') ?? '127.0.0.1',
    basePath: readBasePath(env),
    publicBaseUrl: readHttpUrl(env, 'PUBLIC_BASE_URL'),
    trustedProxies: readProxyList(env),
    databaseUrl: readDatabaseUrl(env),
    dataDir: path.resolve(readText(env, 'DATA_DIR') ?? './data'),
    maxBodyBytes: readInteger(env, 'MAX_BODY_BYTES', 1_048_576, 1, 2 ** 31),
    eventQueueLimit: readInteger(env, 'EVENT_QUEUE_LIMIT', 2_000, 1, 1e6),
    webhookSecrets: readWebhookSecrets(env),
    followUpRulesPath: path.resolve(
      readText(env, 'FOLLOW_UP_RULES') ?? DEFAULT_RULES_PATH,
    ),
    push: readPushSettings(env),
    staleInbox: readStaleInboxSettings(env),
    jobRetryLimit: readInteger(env, 'JOB_RETRY_LIMIT', 5, 0, 100),
    jobRetryDelaySeconds: readInteger(
      env,
      'JOB_RETRY_DELAY_SECONDS',
      30,
      1,
      86_400,
    ),
    jobTimeoutSeconds: readInteger(env, 'JOB_TIMEOUT_SECONDS', 300, 2, 3_600),
    jobConcurrency: readInteger(env, 'JOB_CONCURRENCY', 10, 1, 500),
    logLevel: readLogLevel(env),
    twilioAuthTokens: splitList(env.TWILIO_AUTH_TOKEN),
    twilioWebhookPublicBaseUrl: readHttpUrl(
      env,
      'TWILIO_WEBHOOK_PUBLIC_BASE_URL',
    ),
    trustedNetworks: readTrustedNetworks(env),
    insightSecrets: splitList(env.PRINTBRAIN_WEBHOOK_SECRET),
    pricingSecrets: splitList(env.PRESSOS_PRICING_HMAC_SECRET),
    idempotencyTtlHours: readInteger(env, 'IDEMPOTENCY_TTL_HOURS', 24, 1, 8760),
    shopTimeZone: readTimeZone(env),
    invoiceWorkflowApiKeys: splitList(env.INVOICE_WORKFLOW_API_KEY),
    metricsTokens: splitList(env.METRICS_TOKEN),
    gmail: readGmailSettings(env),
    files: readFileStorageSettings(env),
    console: readConsoleSettings(env),
    priceListPath: path.resolve(
      readText(env, 'PRICE_LIST') ?? DEFAULT_PRICE_LIST_PATH,
    ),
  }
}

function readBasePath(env: Env): string {
  const text = readText(env, 'BASE_PATH')
  if (text === undefined || text === '/') return ''

  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(text) || text.includes('//')) {
    throw new ConfigError(
      `BASE_PATH must be a path like "/pressos" (letters, digits, ` +
        `"-", "_", ".", "~" and single slashes), got "${text}"`,
    )
  }

  return text.replace(/\/+$/, '')
}

function readDatabaseUrl(env: Env): string | undefined {
  const text = readText(env, 'DATABASE_URL')
  if (text === undefined) return undefined

  let protocol: string
  try {
    protocol = new URL(text).protocol
  } catch {
    throw new ConfigError(
      'DATABASE_URL must be a URL like postgres://user:password@host:5432/db',
    )
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError(
      `DATABASE_URL must start with postgres:// or postgresql://, ` +
        `got "${protocol}//"`,
    )
  }

  return text
}

const NAMED_PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal']

function readProxyList(env: Env): string[] {
  const entries = splitList(env.TRUSTED_PROXIES)

  for (const entry of entries) {
    if (!isAddressOrRange(entry) && !NAMED_PROXY_RANGES.includes(entry)) {
      throw new ConfigError(
        `TRUSTED_PROXIES must list IP addresses or CIDR ranges ` +
          `(or loopback, linklocal, uniquelocal), got "${entry}"`,
      )
    }
  }

  return entries
}

/** True for an IPv4/IPv6 address or a CIDR range such as `10.0.0.0/8`. */
export function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || extra !== undefined) return false
  if (bits === undefined) return true

  const prefix = Number(bits)
  const maxBits = family === 4 ? 32 : 128

  return /^\d+$/.test(bits) && prefix <= maxBits
}

/** Loopback and the private ranges: the default trusted networks. */
export const PRIVATE_NETWORKS = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
]

function readTrustedNetworks(env: Env): string[] | 'any' {
  const text = readText(env, 'TRUSTED_NETWORKS')
  if (text === undefined) return PRIVATE_NETWORKS
  if (text.toLowerCase() === 'any') return 'any'

  const entries = splitList(text)
  for (const entry of entries) {
    if (!isAddressOrRange(entry)) {
      throw new ConfigError(
        `TRUSTED_NETWORKS must list IP addresses or CIDR ranges, or be ` +
          `"any" to open those doors to everyone, got "${entry}"`,
      )
    }
  }

  return entries
}

function readTimeZone(env: Env): string {
  const zone = readText(env, 'SHOP_TIME_ZONE') ?? 'UTC'
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
  } catch {
    throw new ConfigError(
      `SHOP_TIME_ZONE must be an IANA time zone like "America/Chicago", ` +
        `got "${zone}"`,
    )
  }

  return zone
}

function readWebhookSecrets(env: Env): string[] {
  const names = [
    'WEBHOOK_SECRET',
    'PRESSOS_WEBHOOK_SECRET',
    'PRINTBRAIN_WEBHOOK_SECRET',
  ]

  return names.flatMap((name) => splitList(env[name]))
}

function readLogLevel(env: Env): string {
  const text = readText(env, 'LOG_LEVEL') ?? 'info'
  if (!LOG_LEVELS.includes(text)) {
    throw new ConfigError(
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`,
    )
  }

  return text
}
