/**
 * What the mail doors work with: the shop's mailbox, file storage, the
 * database and the activity log.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { GmailLabels } from '../config/gmail-settings.js'
import type { FileStore } from '../files/file-store.js'
import type { Mailbox } from '../gmail/mailbox.js'
import type { ActivityLog } from '../live-feed/activity-log.js'
import type { Orm } from '../storage/database.js'

/** The parts the mail ingests use. */
export interface MailContext {
  mailbox: Mailbox
  store: FileStore
  orm: Orm
  activityLog: ActivityLog
  labels: GmailLabels
  logger: FastifyBaseLogger
}

/**
 * Moves `threadId` from the label `from` to the label `to`. Returns whether
 * it worked; a failure is logged, and the next call tries again.
 */
export async function moveThreadLabel(
  context: MailContext,
  threadId: string,
  from: string,
  to: string,
): Promise<boolean> {
  try {
    const [remove, add] = await Promise.all([
      context.mailbox.labelId(from),
      context.mailbox.labelId(to),
    ])
    await context.mailbox.relabel(threadId, { add: [add], remove: [remove] })

    return true
  } catch (error) {
    context.logger.warn(
      { threadId, err: error },
      `could not move Gmail thread ${threadId} from "${from}" to "${to}"; ` +
        'it will be tried again',
    )

    return false
  }
}
