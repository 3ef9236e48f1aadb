/**
 * Why a door refused a request, in a few plain words: the problem types
 * doors answer with (`bad-signature`) as the shop would say them.
 */

const PHRASES: Record<string, string> = {
  'bad-webhook-secret': 'wrong or missing secret',
  'bad-signature': 'bad signature',
  'missing-signature': 'missing signature',
  'bad-twilio-signature': 'bad Twilio signature',
  'missing-twilio-signature': 'missing Twilio signature',
  'bad-api-key': 'wrong or missing key',
  'missing-idempotency-key': 'missing Idempotency-Key',
  'bad-idempotency-key': 'unusable Idempotency-Key',
  'idempotency-key-reused': 'Idempotency-Key reused for another body',
  'idempotency-key-in-use': 'same request still in progress',
  'malformed-json': 'bad body (not JSON)',
  'invalid-body': 'bad body',
  'invalid-event': 'bad body (event fields)',
  'invalid-insight': 'bad body (insight fields)',
  'invalid-quote-request': 'bad body (quote fields)',
  'invalid-roadmap': 'bad body (roadmap fields)',
  'invalid-ack': 'bad body (acknowledgement fields)',
  'invalid-twilio-callback': 'bad body (Twilio fields)',
  'invalid-status': 'bad body (status)',
  'invalid-push-subscription': 'bad body (push subscription)',
  'unsupported-media-type': 'wrong content type',
  'body-too-large': 'body too large',
  'bad-content-length': 'body cut short',
  'untrusted-network': 'network not trusted',
  'network-refused': 'network not trusted',
  'method-not-allowed': 'wrong method',
  'door-not-configured': 'door closed: secret not set',
  'gmail-not-configured': 'door closed: Gmail not set up',
  'web-push-not-configured': 'door closed: Web Push not set up',
  'invalid-file-link': 'expired or forged file link',
  'unpriceable-quote': 'price list cannot price it',
  'not-found': 'not found',
  'bad-query': 'bad query',
  'internal-error': 'failed on our side',
  'database-unavailable': 'database out of reach',
  'events-queue-full': 'too many events at once',
  'not-ready': 'database out of reach',
  'bad-request': 'bad request',
  'bad-url': 'bad address (broken escape)',
  'uri-too-long': 'bad address (too long)',
  'missing-host': 'missing Host header',
  'gmail-failed': 'Gmail failed',
  'unknown-confirmation': 'unknown print confirmation',
  'confirmation-mismatch': 'row belongs to another thread',
  'file-not-found': 'file not found',
}

/** `slug` in plain words; an unknown slug is shown as it is. */
export function refusalPhrase(slug: string): string {
  return PHRASES[slug] ?? slug
}
