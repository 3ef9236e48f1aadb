/**
 * What happens when Twilio calls: each callback's records, its conversation
 * and its activity-log event are stored in the caller's one transaction, so
 * that a callback is either wholly kept or not at all, and a repeat of it
 * stores nothing.
 */
import type { IncomingEvent, StoredEvent } from '../live-feed/activity-log.js'
import type { Orm } from '../storage/database.js'
import { noteIncoming, openConversation } from './conversations.js'
import { optOutRequest, type OptOutRequest } from './opt-out.js'
import {
  applyStatusReport,
  noteIncomingText,
  storeIncomingText,
  type IncomingText,
  type StatusReport,
} from './text-messages.js'
import {
  storeVoicemail,
  type Transcription,
} from './voicemail-transcriptions.js'

/** Writes an activity-log event in the caller's transaction. */
export type EventRecorder = (
  tx: Orm,
  event: IncomingEvent,
) => Promise<StoredEvent>

/** What became of an incoming text. */
export interface TextOutcome {
  repeated: boolean
  conversationId: number
  messageId?: number
  optOut?: OptOutRequest
  draftId?: number
}

/**
 * Stores a customer's text in its conversation, applies STOP or START,
 * queues a reply draft unless the customer opted out, and logs
 * `twilio.sms.inbound`.
 */
export async function receiveText(
  tx: Orm,
  text: IncomingText,
  recordEvent: EventRecorder,
): Promise<TextOutcome> {
  const { conversationId, messageId } = await storeIncomingText(tx, text)
  if (messageId === undefined) return { repeated: true, conversationId }

  const optOut = optOutRequest(text.body, text.params.OptOutType)
  const draftId = await noteIncomingText(tx, {
    conversationId,
    messageId,
    at: new Date(),
    optOut,
  })

  await recordEvent(tx, {
    door: 'twilio.sms.inbound',
    rawEventType: 'twilio.sms.inbound',
    source: 'twilio',
    dedupeKey: `twilio:message:${text.messageSid}`,
    payload: {
      event_type: 'twilio.sms.inbound',
      source: 'twilio',
      data: {
        message_sid: text.messageSid,
        from: text.from,
        to: text.to,
        body: text.body,
        num_media: text.media.length,
        media: text.media,
        conversation_id: conversationId,
        message_id: messageId,
        opt_out: optOut ?? null,
        reply_draft_id: draftId ?? null,
      },
    },
  })

  return { repeated: false, conversationId, messageId, optOut, draftId }
}

/**
 * Records a delivery status for one of the shop's texts and logs
 * `twilio.sms.status`. A status already reported changes nothing.
 */
export async function receiveStatusReport(
  tx: Orm,
  report: StatusReport,
  recordEvent: EventRecorder,
): Promise<{ repeated: boolean; changed: boolean }> {
  const conversationId =
    report.from && report.to
      ? await openConversation(tx, {
          shopNumber: report.from,
          customerNumber: report.to,
        })
      : null
  const outcome = await applyStatusReport(tx, report, conversationId)
  if (outcome.repeated) return outcome

  await recordEvent(tx, {
    door: 'twilio.sms.status',
    rawEventType: 'twilio.sms.status',
    source: 'twilio',
    dedupeKey: `twilio:status:${report.messageSid}:${report.status}`,
    payload: {
      event_type: 'twilio.sms.status',
      source: 'twilio',
      data: {
        message_sid: report.messageSid,
        status: report.status,
        error_code: report.errorCode,
        applied: outcome.changed,
      },
    },
  })

  return outcome
}

/**
 * Stores a voicemail in the conversation with its caller and logs
 * `voicemail.transcribed`, whether the transcription worked or failed.
 */
export async function receiveTranscription(
  tx: Orm,
  transcription: Transcription,
  recordEvent: EventRecorder,
): Promise<{ repeated: boolean; voicemailId?: number }> {
  const conversationId =
    transcription.from && transcription.to
      ? await openConversation(tx, {
          shopNumber: transcription.to,
          customerNumber: transcription.from,
        })
      : null
  const voicemailId = await storeVoicemail(tx, transcription, conversationId)
  if (voicemailId === undefined) return { repeated: true }

  if (conversationId !== null) {
    await noteIncoming(tx, conversationId, new Date())
  }
  await recordEvent(tx, {
    door: 'twilio.voicemail-transcription',
    rawEventType: 'voicemail.transcribed',
    source: 'twilio',
    dedupeKey: `twilio:transcription:${transcription.transcriptionSid}`,
    payload: {
      event_type: 'voicemail.transcribed',
      source: 'twilio',
      data: {
        transcription_sid: transcription.transcriptionSid,
        status: transcription.status,
        text: transcription.text,
        from: transcription.from,
        to: transcription.to,
        call_sid: transcription.callSid,
        recording_sid: transcription.recordingSid,
        recording_url: transcription.recordingUrl,
        conversation_id: conversationId,
        voicemail_id: voicemailId,
      },
    },
  })

  return { repeated: false, voicemailId }
}
