/**
 * Twilio's voicemail transcription callbacks, at the short address and the
 * longer one some Twilio apps use.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { verifyTwilioCallback } from '../guards/twilio-signature.js'
import {
  readTranscription,
  TRANSCRIPTION_FIELDS,
} from '../messaging/twilio-callbacks.js'
import { receiveTranscription } from '../messaging/twilio-reception.js'
import type { Door, DoorContext } from './door.js'
import { twilioSecurity } from './door-security.js'

const PURPOSE =
  'When Twilio finishes transcribing a voicemail, it posts the text here ' +
  'for the activity log.'

/** `POST /webhooks/twilio/voicemail-transcription`. */
export const voicemailDoor: Door = {
  id: 'twilio.voicemail-transcription',
  section: 'live-feed',
  path: '/webhooks/twilio/voicemail-transcription',
  methods: ['POST'],
  accepts: ['application/x-www-form-urlencoded', 'application/json'],
  security: twilioSecurity(
    'Twilio proves each request is really from Twilio (not someone faking ' +
      'a callback). Your Twilio auth token on the server is used to verify ' +
      'that proof.',
  ),
  purpose: PURPOSE,
  requestBody: { schema: TRANSCRIPTION_FIELDS },
  success: { status: 200, description: 'Received; the answer is empty.' },
  handler: (context) => (request, reply) =>
    receiveTranscriptionCallback(context, request, reply),
}

/** `POST /webhooks/twilio/voice/voicemail-transcription`, the alias. */
export const voicemailAliasDoor: Door = {
  ...voicemailDoor,
  id: 'twilio.voice.voicemail-transcription',
  path: '/webhooks/twilio/voice/voicemail-transcription',
  security: {
    ...voicemailDoor.security,
    summary:
      'Same security as the shorter voicemail URL above—Twilio-signed ' +
      'requests only.',
  },
  purpose:
    'Same as /webhooks/twilio/voicemail-transcription; alternate path ' +
    'your Twilio app may use.',
}

async function receiveTranscriptionCallback(
  context: DoorContext,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const params = verifyTwilioCallback(request, context.config)
  const transcription = readTranscription(params)

  const outcome = await context.database.orm.transaction((tx) =>
    receiveTranscription(tx, transcription, (inner, event) =>
      context.activityLog.recordWithin(inner, event),
    ),
  )
  const log = { transcriptionSid: transcription.transcriptionSid, ...outcome }
  if (outcome.repeated) {
    request.log.info(log, 'voicemail repeated by Twilio; kept the first copy')
  } else if (transcription.status !== 'completed') {
    request.log.warn(
      { ...log, status: transcription.status },
      `voicemail kept, but its transcription ${transcription.status}`,
    )
  } else {
    request.log.info(log, 'voicemail transcription received')
  }

  return reply.code(200).send()
}
