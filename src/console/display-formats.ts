/**
 * How the console writes the values it shows: times on the shop's clock
 * with the zone named, money from integer cents, progress from basis
 * points, and links that can only go to web pages.
 */

/** A moment as a page shows it: text for people, ISO for machines. */
export interface ShownTime {
  /** ISO 8601 in UTC, for `<time datetime>`. */
  iso: string
  /** Date and time on the shop's clock, with the zone's short name. */
  text: string
  /** The shop's IANA time zone, like `America/Los_Angeles`. */
  zone: string
}

/**
 * `at` on the clock of `timeZone`; undefined for no time. Strings must be
 * ISO 8601.
 *
 * @example shopTime('2025-03-01T18:30:00Z', 'America/Los_Angeles')
 *   // { text: 'Mar 1, 2025, 10:30 AM PST', ... }
 */
export function shopTime(
  at: Date | string | null | undefined,
  timeZone: string,
): ShownTime | undefined {
  if (at === null || at === undefined) return undefined

  const moment = typeof at === 'string' ? new Date(at) : at
  const text = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(moment)

  return { iso: moment.toISOString(), text, zone: timeZone }
}

/**
 * `cents` of `currency` written for people, for display only: never
 * compute with the result.
 *
 * @example money(48640, 'USD') // '$486.40'
 */
export function money(cents: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency })

  return format.format(cents / 100)
}

/**
 * A progress of `basisPoints` (10000 is done) as a percentage with at most
 * one decimal: `4250` is `42.5%`.
 */
export function percent(basisPoints: number): string {
  return `${Math.round(basisPoints / 10) / 10}%`
}

/**
 * `url` when it may be a link's target (http, https, or a path of this
 * site); undefined for anything else, such as `javascript:` addresses from
 * a stored payload.
 */
export function safeHref(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined
  if (url.startsWith('/') && !url.startsWith('//')) return url

  return /^https?:\/\//i.test(url) ? url : undefined
}

/** The formats above, bound to the shop's zone, for a page's template. */
export function displayFormats(timeZone: string) {
  return {
    when: (at: Date | string | null | undefined) => shopTime(at, timeZone),
    money,
    percent,
    safeHref,
  }
}
