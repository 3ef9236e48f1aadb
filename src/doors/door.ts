/**
 * What a door is: an address, its methods, who may use it and what it does.
 * Doors are declared once in the registry; the server, the documentation
 * and the API description are all built from those declarations.
 */
import type { RouteHandlerMethod } from 'fastify'
import type { Logger } from 'pino'
import type { z } from 'zod'
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
  /**
   * For `hmac-signature`: the headers that may carry the signature, in the
   * order the door reads them.
   */
  signatureHeaders?: readonly string[]
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

/** What a body schema may depend on: the shop's own settings. */
export type BodySchemaContext = Pick<DoorContext, 'priceList'>

/** The body a door takes, as the API description shows it. */
export interface DoorBody {
  /**
   * The zod schema the door checks its body with; for a door whose check
   * is written by hand, a schema declared beside that check. A function
   * when the schema depends on the shop's settings, like the price list.
   */
  schema: z.ZodType | ((context: BodySchemaContext) => z.ZodType)
}

/** The answer a door gives when it did its work. */
export interface DoorSuccess {
  /** HTTP status, like 201. */
  status: number
  /** Media type of the answer; left out when the answer has no body. */
  mediaType?: string
  description: string
}

/** A refusal particular to one door, beyond those of its guards and body. */
export interface DoorRefusal {
  /** HTTP status, like 404. */
  status: number
  /** When the door answers with it. */
  when: string
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
  /** The body it takes, in each of the `accepts` media types. */
  requestBody?: DoorBody
  /** Whether it runs each request once per `Idempotency-Key` header. */
  idempotencyKey?: 'required' | 'optional'
  /** Its answer when it did its work; 200 with JSON when left out. */
  success?: DoorSuccess
  /** Its own refusals, for the API description. */
  refusals?: DoorRefusal[]
  /** Builds the route handler. */
  handler(context: DoorContext): RouteHandlerMethod
}
