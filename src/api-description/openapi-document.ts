/**
 * The OpenAPI 3.1 description of PressOS Inbound, built from the door
 * registry: every door with its methods, security, body, answer and
 * refusals. Nothing here lists the doors by hand, so the description
 * cannot fall behind the server. It reads no secret: the settings it takes
 * are the public base address and the shop's price list.
 */
import type { Config } from '../config/environment.js'
import type { Door, DoorSection } from '../doors/door.js'
import type { PriceList } from '../pricing/price-list.js'
import { openApiPath, parametersOf, requestBodyOf } from './door-requests.js'
import { PROBLEM_SCHEMA, responsesOf } from './door-responses.js'
import { securityOf, securitySchemesOf } from './security-schemes.js'

/** What the description is built from, besides the doors. */
export interface ApiSettings {
  config: Pick<Config, 'basePath' | 'publicBaseUrl'>
  /** The service's version, from package.json. */
  version: string
  /** The shop's prices, which the quote body's schema depends on. */
  priceList: PriceList
}

/** An OpenAPI 3.1 document, as JSON. */
export interface OpenApiDocument {
  openapi: '3.1.0'
  info: { title: string; version: string; description: string }
  servers: { url: string; description: string }[]
  tags: { name: DoorSection; description: string }[]
  paths: Record<string, Record<string, Operation>>
  components: Record<string, Record<string, unknown>>
}

/** One operation: one method of one door. */
export type Operation = Record<string, unknown>

const SECTIONS: Record<DoorSection, string> = {
  'live-feed':
    "Events from the shop's tools, and Twilio's callbacks for texts and " +
    'voicemail.',
  integrations:
    'Server-to-server requests, signed with HMAC when a secret is set, ' +
    'each run once per Idempotency-Key.',
  automation:
    'Triggers called by cron on the app host: the mail pulls and the ' +
    'hand-off of print confirmations.',
  service:
    'Reads for the console and scripts on the shop network, health ' +
    'checks and this description.',
}

const ABOUT =
  'The incoming doors of PressOS, the operating system of a ' +
  'screen-printing shop. Refusals are application/problem+json (RFC ' +
  '9457); a method a path does not take is answered 405 with an Allow ' +
  'header. Doors whose security is "trusted-network" ask for no ' +
  'credentials: only callers on TRUSTED_NETWORKS reach them.'

/** The description of `doors` as served with `settings`. */
export function openApiDocument(
  doors: readonly Door[],
  settings: ApiSettings,
): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'PressOS Inbound',
      version: settings.version,
      description: ABOUT,
    },
    servers: [serverOf(settings.config)],
    tags: Object.entries(SECTIONS).map(([name, description]) => ({
      name: name as DoorSection,
      description,
    })),
    paths: pathsOf(doors, settings),
    components: {
      securitySchemes: securitySchemesOf(doors),
      schemas: { Problem: PROBLEM_SCHEMA },
    },
  }
}

/**
 * Where the doors are: `PUBLIC_BASE_URL` and `BASE_PATH`, or `BASE_PATH`
 * alone, relative to wherever this description was fetched from.
 */
function serverOf(config: ApiSettings['config']) {
  const origin =
    config.publicBaseUrl === undefined
      ? ''
      : withoutUserInfo(config.publicBaseUrl)

  return {
    url: origin + config.basePath || '/',
    description: 'This deployment.',
  }
}

// A user name or password in the base URL is a credential; never show it.
function withoutUserInfo(baseUrl: string): string {
  const url = new URL(baseUrl)
  url.username = ''
  url.password = ''

  return url.href.replace(/\/+$/, '')
}

function pathsOf(doors: readonly Door[], settings: ApiSettings) {
  const paths: OpenApiDocument['paths'] = {}
  for (const door of doors) {
    const path = openApiPath(door.path)
    paths[path] = { ...paths[path], ...operationsOf(door, settings) }
  }

  return paths
}

/** The operations of `door`, by lower-case method. */
function operationsOf(
  door: Door,
  settings: ApiSettings,
): Record<string, Operation> {
  const several = door.methods.length > 1
  const entries = door.methods.map((method) => {
    const verb = method.toLowerCase()
    const operationId = several ? `${door.id}.${verb}` : door.id

    return [verb, operationOf(door, method, operationId, settings)] as const
  })

  return Object.fromEntries(entries)
}

function operationOf(
  door: Door,
  method: Door['methods'][number],
  operationId: string,
  settings: ApiSettings,
): Operation {
  const body = method === 'GET' ? undefined : requestBodyOf(door, settings)
  const parameters = parametersOf(door)

  return {
    operationId,
    summary: firstSentenceOf(door.purpose),
    description: describeDoor(door),
    tags: [door.section],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: responsesOf(door),
    security: securityOf(door),
    'x-pressos-door': door.id,
    'x-pressos-security': door.security.scheme,
  }
}

function describeDoor(door: Door): string {
  return [
    door.purpose,
    `**Who may call it:** ${door.security.summary}`,
    `**Security:** ${door.security.technical}`,
  ].join('\n\n')
}

function firstSentenceOf(text: string): string {
  const end = text.search(/[.;:](\s|$)/)

  return end === -1 ? text : text.slice(0, end)
}
