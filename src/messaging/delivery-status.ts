/**
 * Twilio's message statuses and the order they come in. Callbacks arrive
 * out of order; a status only replaces one that comes before it, so a late
 * `sent` never undoes `delivered`, and a final status is never replaced by
 * another final one.
 */

/** Each status Twilio reports, with its place in a message's life. */
const STATUS_RANKS: Readonly<Record<string, number>> = {
  accepted: 1,
  scheduled: 1,
  queued: 2,
  sending: 3,
  sent: 4,
  receiving: 4,
  partially_delivered: 5,
  delivered: 6,
  undelivered: 6,
  failed: 6,
  canceled: 6,
  received: 6,
  read: 7,
}

/** The statuses this service knows. */
export const DELIVERY_STATUSES = Object.keys(STATUS_RANKS)

/**
 * The place of `status` in a message's life; 0 for a status this service
 * does not know, which is kept but never replaces a known one.
 */
export function statusRank(status: string): number {
  return STATUS_RANKS[status] ?? 0
}
