/**
 * Voicemails left on the shop's numbers, as Twilio reports them once it
 * has transcribed (or failed to transcribe) the recording.
 */
import { desc } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import { voicemails } from '../storage/schema.js'

/** A transcription callback from Twilio. */
export interface Transcription {
  transcriptionSid: string
  status: string
  text: string | null
  recordingSid: string | null
  recordingUrl: string | null
  callSid: string | null
  from: string | null
  to: string | null
  params: Record<string, string>
}

/**
 * Stores the voicemail of `transcription` in `conversationId`. Returns its
 * id, or undefined when the same TranscriptionSid was stored before.
 */
export async function storeVoicemail(
  tx: Orm,
  transcription: Transcription,
  conversationId: number | null,
): Promise<number | undefined> {
  const [row] = await tx
    .insert(voicemails)
    .values({
      transcriptionSid: transcription.transcriptionSid,
      transcriptionText: transcription.text,
      transcriptionStatus: transcription.status,
      recordingSid: transcription.recordingSid,
      recordingUrl: transcription.recordingUrl,
      callSid: transcription.callSid,
      fromNumber: transcription.from,
      toNumber: transcription.to,
      conversationId,
      params: transcription.params,
    })
    .onConflictDoNothing({ target: voicemails.transcriptionSid })
    .returning({ id: voicemails.id })

  return row?.id
}

/**
 * Voicemails newest first, those of callers with no conversation (numbers
 * that never texted) included: their `conversationId` is null.
 */
export async function listVoicemails(
  orm: Orm,
  page: { limit: number; offset: number },
) {
  return orm
    .select()
    .from(voicemails)
    .orderBy(desc(voicemails.createdAt), desc(voicemails.id))
    .limit(page.limit)
    .offset(page.offset)
}
