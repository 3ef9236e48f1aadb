/**
 * Stale threads in the shop's inbox: the last word is a customer's, and
 * nobody at the shop has answered for longer than the shop allows.
 */
import type {
  BusinessHours,
  StaleInboxSettings,
} from '../config/inbox-settings.js'
import type { Mailbox } from '../gmail/mailbox.js'
import type { MailMessage } from '../gmail/mail-message.js'

/** A thread waiting for the shop's answer. */
export interface StaleThread {
  thread_id: string
  subject: string
  from: string
  /** When the customer's last message came, ISO 8601 in UTC. */
  waiting_since: string
  /** Hours waited, counting business hours only when those are set. */
  waiting_hours: number
}

/** What one look at the inbox found. */
export interface InboxCheck {
  /** Threads looked at. */
  checked: number
  /** Threads that are stale. */
  count: number
  /** The longest-waiting stale threads, oldest first. */
  oldest: StaleThread[]
}

/** How many of the oldest stale threads a check reports. */
export const OLDEST_SHOWN = 5

/**
 * Looks at every thread in the inbox and finds the stale ones.
 *
 * @throws MailboxError when Gmail fails; a partial count is never given.
 */
export async function checkInbox(
  mailbox: Mailbox,
  settings: StaleInboxSettings,
  timeZone: string,
  now = new Date(),
): Promise<InboxCheck> {
  const threadIds = await mailbox.threadIdsWithLabel('INBOX', 2000)
  const stale: StaleThread[] = []

  for (const threadId of threadIds) {
    const thread = await mailbox.readThread(threadId)
    const last = latestMessage(thread.messages)
    if (!last || isFromShop(last, settings)) continue

    const since = last.date ?? new Date(0)
    const hours = hoursWaited(since, now, settings.businessHours, timeZone)
    if (hours >= settings.staleHours) {
      stale.push(describe(thread.id, last, since, hours))
    }
  }
  stale.sort((a, b) => b.waiting_hours - a.waiting_hours)

  return {
    checked: threadIds.length,
    count: stale.length,
    oldest: stale.slice(0, OLDEST_SHOWN),
  }
}

function latestMessage(messages: MailMessage[]): MailMessage | undefined {
  return [...messages].sort(
    (a, b) => (a.date?.getTime() ?? 0) - (b.date?.getTime() ?? 0),
  )[messages.length - 1]
}

/** True when `message` was sent by one of the shop's own addresses. */
export function isFromShop(
  message: Pick<MailMessage, 'from'>,
  settings: Pick<StaleInboxSettings, 'shopAddresses' | 'shopDomains'>,
): boolean {
  const address = message.from.email.toLowerCase()
  const domain = address.split('@')[1] ?? ''

  return (
    settings.shopAddresses.includes(address) ||
    settings.shopDomains.includes(domain)
  )
}

function describe(
  threadId: string,
  message: MailMessage,
  since: Date,
  hours: number,
): StaleThread {
  const from = message.from.name
    ? `${message.from.name} <${message.from.email}>`
    : message.from.email

  return {
    thread_id: threadId,
    subject: message.subject,
    from,
    waiting_since: since.toISOString(),
    waiting_hours: Math.floor(hours * 10) / 10,
  }
}

/**
 * Hours from `since` to `now`; with business hours, only the time the shop
 * was open counts, on the shop's clock in `timeZone`.
 */
export function hoursWaited(
  since: Date,
  now: Date,
  businessHours: BusinessHours | undefined,
  timeZone: string,
): number {
  if (!businessHours) return (now.getTime() - since.getTime()) / 3_600_000

  return openMinutesBetween(since, now, businessHours, timeZone) / 60
}

const MINUTE = 60_000

function openMinutesBetween(
  since: Date,
  now: Date,
  hours: BusinessHours,
  timeZone: string,
): number {
  let counted = 0
  let cursor = since.getTime()
  const end = now.getTime()

  // Walks from opening to closing time, day by day (a year at the most).
  for (let steps = 0; cursor < end && steps < 800; steps++) {
    const { weekday, minute } = shopClock(new Date(cursor), timeZone)
    const openToday = hours.days.includes(weekday)
    if (openToday && minute >= hours.opensAt && minute < hours.closesAt) {
      const step = Math.min(end - cursor, (hours.closesAt - minute) * MINUTE)
      counted += step
      cursor += step
    } else {
      const beforeOpening = openToday && minute < hours.opensAt
      const wait = beforeOpening ? hours.opensAt - minute : 1440 - minute
      cursor += wait * MINUTE - (cursor % MINUTE)
    }
  }

  return counted / MINUTE
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

function shopClock(time: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(time)
  const part = (type: string) => parts.find((p) => p.type === type)?.value

  return {
    weekday: WEEKDAYS.indexOf(part('weekday') ?? ''),
    minute: Number(part('hour')) * 60 + Number(part('minute')),
  }
}
