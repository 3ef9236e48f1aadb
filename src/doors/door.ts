/**
 * What a door is: an address, its methods, who may use it and what it does.
 * Doors are declared once in the registry; the server, the documentation
 * and the API description are all built from those declarations.
 */
import type { RouteHandlerMethod } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from '../config/environment.js'
import type { NetworkCheck } from '../guards/trusted-network.js'
import type { FileStore } from '../files/file-store.js'
import type { Mailbox } from '../gmail/mailbox.js'
import type { JobQueue } from '../jobs/job-queue.js'
import type { ActivityLog } from '../live-feed/activity-log.js'
import type { PriceList } from '../pricing/price-list.js'
import type { Notifier } from '../push/notifier.js'
import type { Database } from '../storage/database.js'

/** The groups doors are listed in. */
export type DoorSection =
  'live-feed' | 'integrations' | 'automation' | 'service'

/** How a door tells a real sender from anyone else. */
export type SecurityScheme =
  | 'none'
  | 'shared-secret'
  | 'twilio-signature'
  | 'hmac-signature'
  | 'api-key'
  | 'trusted-network'

/** Who may use a door, in plain words and in technical terms. */
export interface DoorSecurity {
  scheme: SecurityScheme
  /** For the shop's staff. */
  summary: string
  /** For the engineer wiring a tool to it. */
  technical: string
}

/** What doors may use to do their work. */
export interface DoorContext {
  config: Config
  database: Database
  activityLog: ActivityLog
  logger: Logger
  /** The service's version, from package.json. */
  version: string
  /** Whether a request comes from `TRUSTED_NETWORKS`. */
  isTrustedNetwork: NetworkCheck
  /** The shop's prices, for quotes. */
  priceList: PriceList
  /** Where files from the shop's mail are kept. */
  fileStore: FileStore
  /** The shop's Gmail; undefined when no credentials are configured. */
  mailbox: Mailbox | undefined
  jobs: JobQueue
  /** Sends push notifications to the shop's phones and browsers. */
  notifier: Notifier
}

/** One incoming door. */
export interface Door {
  /** Stable name, used in logs and metrics: `webhooks.events`. */
  id: string
  section: DoorSection
  /** Path under `BASE_PATH`. */
  path: string
  methods: ('GET' | 'POST' | 'PATCH')[]
  security: DoorSecurity
  /** What it does, for the shop's staff. */
  purpose: string
  /** Body media types a POST takes. */
  accepts?: string[]
  /** Builds the route handler. */
  handler(context: DoorContext): RouteHandlerMethod
}
