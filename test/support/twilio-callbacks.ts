/**
 * Callbacks as Twilio sends them: URL-encoded parameters, signed with the
 * `twilio` package's own signing helper over the URL Twilio called.
 */
import type { FastifyInstance } from 'fastify'
import twilio from 'twilio'

/** The auth token tests sign with unless they say otherwise. */
export const TWILIO_TOKEN = 'twilio-test-token-0c41d'

export interface TwilioCall {
  /** The URL Twilio called, which it signs. */
  calledUrl: string
  params: Record<string, string>
  /** The token to sign with; TWILIO_TOKEN by default. */
  token?: string
  /** The path the request reaches the service at; from calledUrl if unset. */
  path?: string
  headers?: Record<string, string>
  /** Where the request comes from; 127.0.0.1 by default. */
  remoteAddress?: string
}

/** Sends a signed Twilio callback to `app`. */
export function sendTwilioCallback(app: FastifyInstance, call: TwilioCall) {
  const url = new URL(call.calledUrl)
  const signature = twilio.getExpectedTwilioSignature(
    call.token ?? TWILIO_TOKEN,
    call.calledUrl,
    call.params,
  )

  return app.inject({
    method: 'POST',
    url: call.path ?? url.pathname + url.search,
    remoteAddress: call.remoteAddress ?? '127.0.0.1',
    headers: {
      host: url.host,
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
      ...call.headers,
    },
    payload: new URLSearchParams(call.params).toString(),
  })
}

/** The parameters of an incoming text, as Twilio posts them. */
export function incomingTextParams(
  overrides: Record<string, string> = {},
): Record<string, string> {
  const sid = `SM${Math.random().toString(16).slice(2).padEnd(32, '0')}`

  return {
    ToCountry: 'US',
    ToState: 'OR',
    SmsMessageSid: sid,
    NumMedia: '0',
    ToCity: 'PORTLAND',
    FromZip: '97214',
    SmsSid: sid,
    FromState: 'OR',
    SmsStatus: 'received',
    FromCity: 'PORTLAND',
    Body: 'Can you do 48 hoodies by Friday?',
    FromCountry: 'US',
    To: '+15035550100',
    ToZip: '97201',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: 'AC00000000000000000000000000000000',
    From: '+15035550199',
    ApiVersion: '2010-04-01',
    ...overrides,
  }
}
