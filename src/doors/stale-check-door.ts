/**
 * `POST /api/gmail/inbox-stale-check`: counts the threads in the shop's
 * inbox that wait too long for an answer, and reminds the shop by push.
 */
import { HttpProblem } from '../http/problem.js'
import { MailboxError } from '../gmail/mailbox.js'
import { checkInbox } from '../mail/stale-inbox.js'
import { remindIfDue } from '../mail/stale-reminders.js'
import { PushDeliveryError } from '../push/notifier.js'
import type { Door, DoorContext } from './door.js'
import { NETWORK_ONLY } from './door-security.js'
import { requireMailbox } from './mailbox-access.js'

/** The stale-inbox door. */
export const staleCheckDoor: Door = {
  id: 'api.gmail.inbox-stale-check',
  section: 'automation',
  path: '/api/gmail/inbox-stale-check',
  methods: ['POST'],
  security: {
    ...NETWORK_ONLY,
    summary:
      'No in-app password—meant to be triggered by a scheduled job on a ' +
      'trusted server only.',
    technical:
      'None in app (cron): the client address must be in TRUSTED_NETWORKS.',
  },
  purpose:
    'Counts stale inbox messages and may send a reminder push notification.',
  refusals: [
    { status: 502, when: 'Gmail failed, or the reminder was not delivered.' },
    { status: 503, when: 'Gmail is not configured on this server.' },
  ],
  handler: (context) => async () => runCheck(context),
}

async function runCheck(context: DoorContext) {
  const settings = context.config.staleInbox
  const mailbox = requireMailbox(context)

  const check = await checkInbox(
    mailbox,
    settings,
    context.config.shopTimeZone,
  ).catch((error: unknown) => {
    if (!(error instanceof MailboxError)) throw error

    throw new HttpProblem(
      502,
      'gmail-failed',
      'Gmail failed during the check',
      `${error.message}. Nothing was counted and no reminder went out; ` +
        'the next check starts over.',
    )
  })
  const reminder = await remindIfDue(
    context.database.orm,
    context.notifier,
    check,
    {
      cooldownMinutes: settings.cooldownMinutes,
      thresholdHours: settings.staleHours,
    },
  ).catch((error: unknown) => {
    if (!(error instanceof PushDeliveryError)) throw error

    throw new HttpProblem(
      502,
      'push-failed',
      'The reminder could not be delivered',
      `${error.message}. ${check.count} stale threads were counted; the ` +
        'next check sends the reminder again.',
      { count: check.count },
    )
  })

  return {
    count: check.count,
    threshold_hours: settings.staleHours,
    business_hours_only: settings.businessHours !== undefined,
    checked: check.checked,
    oldest: check.oldest,
    reminder_sent: reminder.sent,
    ...(reminder.reason ? { reminder_skipped: reminder.reason } : {}),
    last_reminder_at: reminder.last_sent_at,
  }
}
