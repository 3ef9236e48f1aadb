import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { ENGINES, query, resetTables } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'
import {
  incomingTextParams,
  sendTwilioCallback,
  TWILIO_TOKEN,
} from './support/twilio-callbacks.js'

const ORIGIN = 'http://shop.local:3000'
const SHOP = '+15035550100'

function transcriptionParams(overrides: Record<string, string> = {}) {
  return {
    AccountSid: 'AC00000000000000000000000000000000',
    ApiVersion: '2010-04-01',
    CallSid: 'CA11111111111111111111111111111111',
    CallStatus: 'completed',
    Called: SHOP,
    Caller: '+15035550142',
    From: '+15035550142',
    To: SHOP,
    RecordingSid: 'RE22222222222222222222222222222222',
    RecordingUrl: 'https://api.twilio.com/Recordings/RE222',
    TranscriptionSid: 'TR33333333333333333333333333333333',
    TranscriptionStatus: 'completed',
    TranscriptionText: 'Hi, this is Dana about the team shirts order.',
    TranscriptionType: 'fast',
    TranscriptionUrl: 'https://api.twilio.com/Transcriptions/TR333',
    url: 'https://example.invalid/transcribe',
    ...overrides,
  }
}

function transcription(
  t: TestService,
  path: string,
  overrides: Record<string, string> = {},
) {
  return sendTwilioCallback(t.service.app, {
    calledUrl: `${ORIGIN}${path}`,
    params: transcriptionParams(overrides),
  })
}

for (const engine of ENGINES) {
  describe(`voicemail transcription doors on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        env: { TWILIO_AUTH_TOKEN: TWILIO_TOKEN },
      })
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('stores a voicemail in the conversation with a known caller', async () => {
      await sendTwilioCallback(t.service.app, {
        calledUrl: `${ORIGIN}/webhooks/twilio/sms/inbound`,
        params: incomingTextParams({ From: '+15035550142' }),
      })
      const response = await transcription(
        t,
        '/webhooks/twilio/voicemail-transcription',
      )

      assert.equal(response.statusCode, 200)
      const [voicemail] = await query<any>(
        t.database,
        `select v.transcription_text, v.recording_sid, v.call_sid,
           c.customer_number, c.unread_count
         from voicemails v join conversations c on c.id = v.conversation_id`,
      )
      assert.deepEqual(voicemail, {
        transcription_text: 'Hi, this is Dana about the team shirts order.',
        recording_sid: 'RE22222222222222222222222222222222',
        call_sid: 'CA11111111111111111111111111111111',
        customer_number: '+15035550142',
        unread_count: 2,
      })
      const conversations = await query(
        t.database,
        'select 1 from conversations',
      )
      assert.equal(
        conversations.length,
        1,
        'the text and the call share a thread',
      )
    })

    it('answers at the alias path too and logs voicemail.transcribed', async () => {
      const response = await transcription(
        t,
        '/webhooks/twilio/voice/voicemail-transcription',
      )

      assert.equal(response.statusCode, 200)
      const [event] = await query<any>(
        t.database,
        `select event_type, payload->'data'->>'status' as status
         from activity_events`,
      )
      assert.deepEqual(event, {
        event_type: 'voicemail.transcribed',
        status: 'completed',
      })
    })

    it('starts a conversation for a caller it does not know', async () => {
      await transcription(t, '/webhooks/twilio/voicemail-transcription', {
        From: '+15035550777',
        Caller: '+15035550777',
      })

      const [conversation] = await query<any>(
        t.database,
        'select customer_number, shop_number, unread_count from conversations',
      )
      assert.deepEqual(conversation, {
        customer_number: '+15035550777',
        shop_number: SHOP,
        unread_count: 1,
      })
    })

    it('keeps and logs a failed transcription with its status', async () => {
      const params = { TranscriptionStatus: 'failed', TranscriptionText: '' }
      await transcription(t, '/webhooks/twilio/voicemail-transcription', params)

      const [voicemail] = await query<any>(
        t.database,
        'select transcription_status from voicemails',
      )
      assert.equal(voicemail.transcription_status, 'failed')
      const [event] = await query<any>(
        t.database,
        `select payload->'data'->>'status' as status from activity_events`,
      )
      assert.equal(event.status, 'failed')
      const warning = t.log.entries.find((entry) =>
        String(entry.msg).includes('transcription failed'),
      )
      assert.equal(warning?.level, 40)
    })

    it('stores a repeated callback once', async () => {
      await transcription(t, '/webhooks/twilio/voicemail-transcription')
      await transcription(t, '/webhooks/twilio/voice/voicemail-transcription')

      assert.equal(
        (await query(t.database, 'select 1 from voicemails')).length,
        1,
      )
      assert.equal(
        (await query(t.database, 'select 1 from activity_events')).length,
        1,
      )
    })

    it('refuses a callback without TranscriptionSid with 422', async () => {
      const response = await transcription(
        t,
        '/webhooks/twilio/voicemail-transcription',
        { TranscriptionSid: '' },
      )

      assert.equal(response.statusCode, 422)
      assert.deepEqual(await query(t.database, 'select 1 from voicemails'), [])
    })

    it('refuses a signed callback holding a NUL with 422, storing nothing', async () => {
      const response = await transcription(
        t,
        '/webhooks/twilio/voicemail-transcription',
        { TranscriptionText: 'call me\u0000back' },
      )

      assert.equal(response.statusCode, 422)
      assert.match(response.json().detail, /TranscriptionText holds a NUL/)
      assert.deepEqual(await query(t.database, 'select 1 from voicemails'), [])
    })

    it('stores nothing from an unsigned callback', async () => {
      const response = await t.service.app.inject({
        method: 'POST',
        url: '/webhooks/twilio/voicemail-transcription',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(transcriptionParams()).toString(),
      })

      assert.equal(response.statusCode, 400)
      assert.deepEqual(await query(t.database, 'select 1 from voicemails'), [])
    })
  })
}
