/**
 * Push reminders about stale inbox threads, at most one per cooldown, even
 * when several checks run at once on several servers.
 */
import { desc, eq, sql } from 'drizzle-orm'
import type { PushMessage, Notifier } from '../push/notifier.js'
import type { Orm } from '../storage/database.js'
import { staleReminders } from '../storage/schema.js'
import type { InboxCheck } from './stale-inbox.js'

/** Whether a reminder went out, and if not, why. */
export interface ReminderOutcome {
  sent: boolean
  /** Why none went out: nothing stale, or the cooldown. */
  reason?: 'nothing stale' | 'cooldown'
  /** When the last reminder went out, ISO 8601. */
  last_sent_at: string | null
}

// One lock for every process: only one check at a time decides.
const REMINDER_LOCK = 7_240_311

/**
 * Sends a reminder about `check` unless nothing is stale or one went out
 * within `cooldownMinutes`, and records it. A reminder that could not be
 * delivered is not recorded, so the next check tries again.
 */
export async function remindIfDue(
  orm: Orm,
  notifier: Notifier,
  check: InboxCheck,
  policy: { cooldownMinutes: number; thresholdHours: number },
): Promise<ReminderOutcome> {
  const turn = await takeTurn(orm, check, policy)
  if ('sent' in turn) return turn

  // Sending happens outside the transaction: the notifier reads the
  // database itself, and the embedded database has one connection.
  try {
    await notifier.send(reminderFor(check, policy.thresholdHours))
  } catch (error) {
    await orm.delete(staleReminders).where(eq(staleReminders.id, turn.id))
    throw error
  }

  return { sent: true, last_sent_at: turn.sentAt.toISOString() }
}

/**
 * Decides, one check at a time, whether this check reminds; when it does,
 * its reminder is recorded at once so that a check running alongside waits
 * out the cooldown.
 */
async function takeTurn(
  orm: Orm,
  check: InboxCheck,
  policy: { cooldownMinutes: number; thresholdHours: number },
): Promise<ReminderOutcome | { id: number; sentAt: Date }> {
  return orm.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${REMINDER_LOCK})`)
    const last = await lastReminder(tx)
    const lastSentAt = last?.toISOString() ?? null
    if (check.count === 0) {
      return { sent: false, reason: 'nothing stale', last_sent_at: lastSentAt }
    }
    if (last && Date.now() - last.getTime() < policy.cooldownMinutes * 60_000) {
      return { sent: false, reason: 'cooldown', last_sent_at: lastSentAt }
    }

    const [row] = await tx
      .insert(staleReminders)
      .values({
        staleCount: check.count,
        thresholdHours: policy.thresholdHours,
        threads: check.oldest,
      })
      .returning({ id: staleReminders.id, sentAt: staleReminders.sentAt })

    return row!
  })
}

async function lastReminder(tx: Orm): Promise<Date | undefined> {
  const [row] = await tx
    .select({ sentAt: staleReminders.sentAt })
    .from(staleReminders)
    .orderBy(desc(staleReminders.sentAt))
    .limit(1)

  return row?.sentAt
}

/** The push notification about a stale inbox. */
export function reminderFor(
  check: InboxCheck,
  thresholdHours: number,
): PushMessage {
  const threads = check.count === 1 ? 'thread' : 'threads'
  const lines = check.oldest.map(
    (thread) =>
      `• ${thread.subject || '(no subject)'}, ${thread.from}, ` +
      `${Math.floor(thread.waiting_hours)} h`,
  )

  return {
    title: `${check.count} inbox ${threads} waiting over ${thresholdHours} h`,
    message: lines.join('\n'),
    priority: 'high',
    tags: ['hourglass'],
  }
}
