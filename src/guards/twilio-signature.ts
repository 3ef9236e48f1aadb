/**
 * The guard of the Twilio doors: `X-Twilio-Signature` must be Twilio's
 * signature, made with the account's auth token, over the exact URL Twilio
 * called and every parameter it posted. The check is the `twilio`
 * package's own.
 */
import type { FastifyRequest } from 'fastify'
import twilio from 'twilio'
import type { Config } from '../config/environment.js'
import {
  isFormBody,
  readFormParams,
  type FormParams,
} from '../http/form-body.js'
import { HttpProblem } from '../http/problem.js'
import { calledUrl } from '../http/public-url.js'
import {
  isJsonBody,
  requireShallowJson,
  requireStorableText,
} from '../http/request-body.js'

/** Parameters of a callback whose signature held. */
export type TwilioParams = Record<string, string>

type TwilioSettings = Pick<
  Config,
  'twilioAuthTokens' | 'twilioWebhookPublicBaseUrl' | 'publicBaseUrl'
>

/**
 * Checks the signature of a Twilio callback and returns its parameters.
 *
 * @throws HttpProblem 503 when no auth token is configured, 415 for a body
 *   Twilio does not send, 400 when the signature is missing, 403 when it
 *   does not match, 422 for text PostgreSQL cannot store (a NUL).
 */
export function verifyTwilioCallback(
  request: FastifyRequest,
  settings: TwilioSettings,
): TwilioParams {
  if (settings.twilioAuthTokens.length === 0) throw doorClosed()

  const signature = request.headers['x-twilio-signature']
  if (typeof signature !== 'string' || signature === '') {
    throw missingSignature()
  }

  const url = calledUrl(
    request,
    settings.twilioWebhookPublicBaseUrl ?? settings.publicBaseUrl,
  )
  const algorithm = twilio.getSignatureAlgorithm(
    header(request, 'x-twilio-webhooks-signature-settings'),
  )
  const signed = isJsonBody(request)
    ? checkJsonBody(request, settings, signature, url, algorithm)
    : checkFormBody(request, settings, signature, url, algorithm)
  if (!signed.valid) throw badSignature(url)
  requireStorableText(signed.params)

  return signed.params
}

interface SignatureCheck {
  valid: boolean
  params: TwilioParams
}

function checkFormBody(
  request: FastifyRequest,
  settings: TwilioSettings,
  signature: string,
  url: string,
  algorithm: string,
): SignatureCheck {
  if (request.rawBody !== undefined && !isFormBody(request)) {
    throw unsupportedBody()
  }

  const params = readFormParams(request)
  const valid = settings.twilioAuthTokens.some((token) =>
    holds(() =>
      twilio.validateRequest(token, signature, url, params, algorithm),
    ),
  )

  return { valid, params: lastValues(params) }
}

function checkJsonBody(
  request: FastifyRequest,
  settings: TwilioSettings,
  signature: string,
  url: string,
  algorithm: string,
): SignatureCheck {
  if (!url.includes('bodySHA256=')) throw unsupportedBody()

  const body = request.rawBody?.toString('utf8') ?? ''
  const valid = settings.twilioAuthTokens.some((token) =>
    holds(() =>
      twilio.validateRequestWithBody(token, signature, url, body, algorithm),
    ),
  )
  if (!valid) return { valid, params: {} }

  return { valid, params: jsonParams(body) }
}

// The check parses the URL; one that does not parse was not Twilio's.
function holds(check: () => boolean): boolean {
  try {
    return check()
  } catch {
    return false
  }
}

function jsonParams(body: string): TwilioParams {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    parsed = undefined
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpProblem(
      400,
      'malformed-json',
      'Malformed JSON',
      'The signed JSON body is not one JSON object.',
    )
  }
  requireShallowJson(parsed)

  const entries = Object.entries(parsed).map(([name, value]) => [
    name,
    typeof value === 'string' ? value : JSON.stringify(value),
  ])

  return Object.fromEntries(entries)
}

// A parameter Twilio sends twice is unusual; the last value counts.
function lastValues(params: FormParams): TwilioParams {
  const entries = Object.entries(params).map(([name, value]) => [
    name,
    Array.isArray(value) ? value[value.length - 1]! : value,
  ])

  return Object.fromEntries(entries)
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]

  return Array.isArray(value) ? value[0] : value
}

function doorClosed(): HttpProblem {
  return new HttpProblem(
    503,
    'door-not-configured',
    'Door closed: no Twilio auth token configured',
    'This server cannot check that callbacks come from Twilio. Set ' +
      "TWILIO_AUTH_TOKEN to the account's auth token (Twilio console, " +
      'Account info) and restart.',
  )
}

function missingSignature(): HttpProblem {
  return new HttpProblem(
    400,
    'missing-twilio-signature',
    'Missing X-Twilio-Signature',
    'This door only takes callbacks signed by Twilio, and the request has ' +
      'no X-Twilio-Signature header.',
  )
}

function badSignature(url: string): HttpProblem {
  return new HttpProblem(
    403,
    'bad-twilio-signature',
    'Twilio signature does not match',
    `X-Twilio-Signature does not match this request as received at ${url}. ` +
      'Twilio signs the exact URL it called: if a proxy changes the scheme, ' +
      'host or port, set TWILIO_WEBHOOK_PUBLIC_BASE_URL to the address ' +
      'configured in Twilio; otherwise check TWILIO_AUTH_TOKEN.',
    { checked_url: url },
  )
}

function unsupportedBody(): HttpProblem {
  return new HttpProblem(
    415,
    'unsupported-media-type',
    'Unsupported content type',
    'Twilio callbacks are application/x-www-form-urlencoded, or JSON ' +
      'signed with a bodySHA256 query parameter.',
  )
}
