/**
 * What makes a thread in the shop's inbox stale, and how often the shop is
 * reminded of stale threads.
 */
import {
  ConfigError,
  readInteger,
  readText,
  splitList,
  type Env,
} from './env-readers.js'

/** The hours the shop is open, in its own time zone. */
export interface BusinessHours {
  /** Days open, 0 for Sunday to 6 for Saturday. */
  days: number[]
  /** Opening and closing time, in minutes after midnight. */
  opensAt: number
  closesAt: number
}

/** Stale-inbox settings. */
export interface StaleInboxSettings {
  /** The shop's own addresses; mail from them is not a customer waiting. */
  shopAddresses: string[]
  /** The shop's own mail domains, like `yourshop.com`. */
  shopDomains: string[]
  /** A thread waiting longer than this is stale, in hours. */
  staleHours: number
  /** Fewest minutes between two reminders. */
  cooldownMinutes: number
  /** When set, only these hours count towards staleness. */
  businessHours: BusinessHours | undefined
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

/** Reads the stale-inbox settings from `env`. */
export function readStaleInboxSettings(env: Env): StaleInboxSettings {
  return {
    shopAddresses: splitList(env.SHOP_EMAIL_ADDRESSES).map((a) =>
      a.toLowerCase(),
    ),
    shopDomains: splitList(env.SHOP_EMAIL_DOMAINS).map((d) =>
      d.toLowerCase().replace(/^@/, ''),
    ),
    staleHours: readInteger(env, 'INBOX_STALE_HOURS', 24, 1, 24 * 365),
    cooldownMinutes: readInteger(
      env,
      'STALE_REMINDER_COOLDOWN_MINUTES',
      240,
      0,
      60 * 24 * 30,
    ),
    businessHours: readBusinessHours(env),
  }
}

const BUSINESS_HOURS =
  /^([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/

function readBusinessHours(env: Env): BusinessHours | undefined {
  const text = readText(env, 'BUSINESS_HOURS')?.toLowerCase()
  if (text === undefined) return undefined

  const match = BUSINESS_HOURS.exec(text)
  const first = DAYS.indexOf(match?.[1] ?? '')
  const last = DAYS.indexOf(match?.[2] ?? match?.[1] ?? '')
  const opensAt = Number(match?.[3]) * 60 + Number(match?.[4])
  const closesAt = Number(match?.[5]) * 60 + Number(match?.[6])
  if (
    !match ||
    first < 0 ||
    last < 0 ||
    !(opensAt < closesAt) ||
    closesAt > 1440
  ) {
    throw new ConfigError(
      'BUSINESS_HOURS must read like "mon-fri 08:00-17:30" (days from ' +
        `sun to sat, opening before closing), got "${text}"`,
    )
  }

  const days: number[] = []
  for (let day = first; ; day = (day + 1) % 7) {
    days.push(day)
    if (day === last) break
  }

  return { days, opensAt, closesAt }
}
