/**
 * What an operator should hear at start about how the service is set up:
 * doors that are closed, unsigned or open to everyone.
 */
import { WEBHOOK_SECRET_VARIABLES } from '../guards/webhook-secret.js'
import type { Config } from './environment.js'

/** One line for the start-up log. */
export interface StartUpNotice {
  level: 'warn' | 'info'
  message: string
}

/** The notices `config` calls for, most serious first. */
export function startUpNotices(config: Config): StartUpNotice[] {
  const notices: [boolean, StartUpNotice['level'], string][] = [
    [
      config.webhookSecrets.length === 0,
      'warn',
      'no webhook secret is set: POST /webhooks/events answers 503 until ' +
        `one of ${WEBHOOK_SECRET_VARIABLES.join(', ')} is set`,
    ],
    [
      config.insightSecrets.length === 0,
      'warn',
      'POST /api/inbox/insights is unsigned: anyone who can reach it can ' +
        'add inbox items; set PRINTBRAIN_WEBHOOK_SECRET to require signatures',
    ],
    [
      config.pricingSecrets.length === 0,
      'warn',
      'POST /api/pricing/quote is unsigned: set PRESSOS_PRICING_HMAC_SECRET ' +
        'to require signatures',
    ],
    [
      config.trustedNetworks === 'any',
      'warn',
      'TRUSTED_NETWORKS=any: doors and reads without credentials of their ' +
        'own are open to every address',
    ],
    [
      config.console.users.length === 0,
      'warn',
      'the console is closed: set CONSOLE_PASSWORD, or CONSOLE_USERS with ' +
        'hashes from `npm run console:hash-password`, to sign in',
    ],
    [
      config.twilioAuthTokens.length === 0,
      'info',
      'TWILIO_AUTH_TOKEN is unset: the Twilio doors answer 503 until it is',
    ],
    [
      config.gmail.credentials === undefined,
      'info',
      'Gmail is not configured: the mail doors answer 503 until it is',
    ],
    [
      config.metricsTokens.length === 0,
      'info',
      'METRICS_TOKEN is unset: GET /metrics answers only operators signed ' +
        'in to the console',
    ],
    [
      !config.databaseUrl,
      'info',
      `DATABASE_URL is unset: using the embedded database in ${config.dataDir}`,
    ],
  ]

  return notices
    .filter(([applies]) => applies)
    .map(([, level, message]) => ({ level, message }))
}
