/**
 * The shop's mailbox as the mail doors reach it, or a refusal saying what
 * to configure.
 */
import { gmailCredentialsProblem } from '../gmail/gmail-connection.js'
import type { Mailbox } from '../gmail/mailbox.js'
import { HttpProblem } from '../http/problem.js'
import type { DoorContext } from './door.js'

/**
 * The mailbox of `context`.
 *
 * @throws HttpProblem 503 naming the settings when Gmail is not configured.
 */
export function requireMailbox(context: DoorContext): Mailbox {
  if (context.mailbox) return context.mailbox

  throw new HttpProblem(
    503,
    'gmail-not-configured',
    'Gmail is not configured',
    gmailCredentialsProblem(context.config.gmail) ??
      'Gmail credentials are missing.',
  )
}
