/**
 * The browsers that asked for the shop's push notifications. Each row is
 * one browser's Web Push subscription: the push service address it gave
 * (a capability: whoever knows it can send to that browser) and the keys
 * that encrypt what is sent there.
 */
import { asc, eq } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import { pushSubscriptions } from '../storage/schema.js'

/** A subscription as the browser's `PushSubscription.toJSON()` gives it. */
export interface NewPushSubscription {
  /** The push service URL of the browser; unique per subscription. */
  endpoint: string
  /** The browser's P-256 public key, base64url, 65 bytes decoded. */
  p256dh: string
  /** The browser's auth secret, base64url, 16 bytes decoded. */
  auth: string
  /** A name a person gave the browser, like `Front desk iPad`. */
  label?: string | null
  /** The browser's User-Agent when it subscribed. */
  userAgent?: string | null
}

/** A stored subscription. */
export type StoredPushSubscription = typeof pushSubscriptions.$inferSelect

/**
 * Stores `subscription` and returns its id. A browser that subscribes again
 * with the same endpoint keeps its row and id; its keys are replaced, and
 * its label and user agent too when given.
 */
export async function savePushSubscription(
  orm: Orm,
  subscription: NewPushSubscription,
): Promise<number> {
  const { endpoint, p256dh, auth, label, userAgent } = subscription
  const changes = {
    p256dh,
    auth,
    ...(label !== undefined ? { label } : {}),
    ...(userAgent !== undefined ? { userAgent } : {}),
  }
  const [row] = await orm
    .insert(pushSubscriptions)
    .values({ endpoint, ...changes })
    .onConflictDoUpdate({ target: pushSubscriptions.endpoint, set: changes })
    .returning({ id: pushSubscriptions.id })

  return row!.id
}

/** Every stored subscription, oldest first. */
export function listPushSubscriptions(
  orm: Orm,
): Promise<StoredPushSubscription[]> {
  return orm.select().from(pushSubscriptions).orderBy(asc(pushSubscriptions.id))
}

/** Deletes the subscription of `endpoint`; true when there was one. */
export async function removePushSubscription(
  orm: Orm,
  endpoint: string,
): Promise<boolean> {
  const removed = await orm
    .delete(pushSubscriptions)
    .where(eq(pushSubscriptions.endpoint, endpoint))
    .returning({ id: pushSubscriptions.id })

  return removed.length > 0
}

/** Notes that the push service took a notification for subscription `id`. */
export async function markDelivered(orm: Orm, id: number): Promise<void> {
  await orm
    .update(pushSubscriptions)
    .set({ lastSuccessAt: new Date() })
    .where(eq(pushSubscriptions.id, id))
}

/** Deletes subscription `id`; true when there was one. */
export async function removePushSubscriptionById(
  orm: Orm,
  id: number,
): Promise<boolean> {
  const removed = await orm
    .delete(pushSubscriptions)
    .where(eq(pushSubscriptions.id, id))
    .returning({ id: pushSubscriptions.id })

  return removed.length > 0
}
