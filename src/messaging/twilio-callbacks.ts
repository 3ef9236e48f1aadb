/**
 * Reads the parameters of Twilio's callbacks into the shop's records, or
 * says which required parameters are missing.
 */
import { z } from 'zod'
import { HttpProblem } from '../http/problem.js'
import type { TwilioParams } from '../guards/twilio-signature.js'
import type { StatusReport, IncomingText } from './text-messages.js'
import type { Transcription } from './voicemail-transcriptions.js'

/** Most media items Twilio attaches to one message. */
const MAX_MEDIA = 10

// The schemas below describe, for the API description, the parameters the
// readers of this module check by hand; change a reader and its schema
// together. Twilio posts every parameter as text, and more than these.
const filled = z.string().regex(/\S/)
const optional = z.string().optional()

/** What `readIncomingText` reads, as a schema. */
export const INCOMING_TEXT_FIELDS = z
  .object({
    MessageSid: filled,
    From: filled,
    To: filled,
    Body: optional,
    NumMedia: z
      .string()
      .regex(/^\d+$/)
      .optional()
      .describe(`0 to ${MAX_MEDIA}; MediaUrl0, MediaUrl1 and so on follow.`),
  })
  .catchall(z.string())

/** What `readStatusReport` reads, as a schema: the older Sms names do too. */
export const STATUS_REPORT_FIELDS = z
  .union([z.object({ MessageSid: filled }), z.object({ SmsSid: filled })])
  .and(
    z.union([
      z.object({ MessageStatus: filled }),
      z.object({ SmsStatus: filled }),
    ]),
  )
  .and(
    z
      .object({ ErrorCode: optional, From: optional, To: optional })
      .catchall(z.string()),
  )

/** What `readTranscription` reads, as a schema. */
export const TRANSCRIPTION_FIELDS = z
  .object({
    TranscriptionSid: filled,
    TranscriptionStatus: filled.describe('Like completed or failed.'),
    TranscriptionText: optional,
    RecordingSid: optional,
    RecordingUrl: optional,
    CallSid: optional,
    From: optional,
    To: optional,
  })
  .catchall(z.string())

/** An incoming text from the parameters of Twilio's SMS webhook. */
export function readIncomingText(params: TwilioParams): IncomingText {
  requireParams(params, ['MessageSid', 'From', 'To'])

  return {
    messageSid: params.MessageSid!,
    from: params.From!,
    to: params.To!,
    body: params.Body ?? '',
    media: readMedia(params),
    params,
  }
}

/** A delivery report from the parameters of a status callback. */
export function readStatusReport(params: TwilioParams): StatusReport {
  const sid = params.MessageSid ?? params.SmsSid
  const status = params.MessageStatus ?? params.SmsStatus
  requireParams({ MessageSid: sid, MessageStatus: status }, [
    'MessageSid',
    'MessageStatus',
  ])

  return {
    messageSid: sid!,
    status: status!.trim().toLowerCase(),
    errorCode: params.ErrorCode || null,
    from: params.From || null,
    to: params.To || null,
    params,
  }
}

/** A transcription from the parameters of a transcription callback. */
export function readTranscription(params: TwilioParams): Transcription {
  requireParams(params, ['TranscriptionSid', 'TranscriptionStatus'])

  return {
    transcriptionSid: params.TranscriptionSid!,
    status: params.TranscriptionStatus!.trim().toLowerCase(),
    text: params.TranscriptionText ?? null,
    recordingSid: params.RecordingSid || null,
    recordingUrl: params.RecordingUrl || null,
    callSid: params.CallSid || null,
    from: params.From || null,
    to: params.To || null,
    params,
  }
}

function readMedia(params: TwilioParams): IncomingText['media'] {
  const count = Number(params.NumMedia ?? '0')
  if (!Number.isInteger(count) || count < 0 || count > MAX_MEDIA) {
    throw invalid([`NumMedia must be a whole number from 0 to ${MAX_MEDIA}`])
  }

  const media: IncomingText['media'] = []
  for (let i = 0; i < count; i++) {
    const url = params[`MediaUrl${i}`]
    if (!url) throw invalid([`MediaUrl${i} is missing for NumMedia=${count}`])

    media.push({ url, contentType: params[`MediaContentType${i}`] || null })
  }

  return media
}

function requireParams(
  params: Record<string, string | undefined>,
  names: string[],
): void {
  const missing = names.filter((name) => !params[name]?.trim())
  if (missing.length > 0) {
    throw invalid(missing.map((name) => `${name} is required`))
  }
}

function invalid(problems: string[]): HttpProblem {
  return new HttpProblem(
    422,
    'invalid-twilio-callback',
    'The callback is missing what this door needs',
    `${problems.join('; ')}. Check that this Twilio webhook points at the ` +
      'right door.',
    { errors: problems },
  )
}
