/**
 * Security descriptions shared by several doors, in the shop's words and in
 * technical terms.
 */
import type { DoorSecurity } from './door.js'

/** For doors and reads open only to the trusted networks. */
export const NETWORK_ONLY: DoorSecurity = {
  scheme: 'trusted-network',
  summary:
    'No password inside the app: only machines on the trusted networks ' +
    '(the shop, the server itself, a VPN) can use it.',
  technical:
    'Client address must be in TRUSTED_NETWORKS (default: loopback and the ' +
    'private ranges); X-Forwarded-For counts only from TRUSTED_PROXIES.',
}

const TWILIO_TECHNICAL =
  'Twilio: X-Twilio-Signature validated with TWILIO_AUTH_TOKEN (the ' +
  "twilio package's request validation; several comma-separated tokens " +
  'are tried in turn). Optional TWILIO_WEBHOOK_PUBLIC_BASE_URL if proxy ' +
  'headers are wrong.'

/** For a door only Twilio may call, with `summary` in the shop's words. */
export function twilioSecurity(summary: string): DoorSecurity {
  return { scheme: 'twilio-signature', summary, technical: TWILIO_TECHNICAL }
}
