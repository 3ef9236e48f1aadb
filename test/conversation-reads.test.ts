import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestService, type TestService } from './support/test-service.js'
import {
  incomingTextParams,
  sendTwilioCallback,
  TWILIO_TOKEN,
} from './support/twilio-callbacks.js'
import { ENGINES } from './support/test-database.js'

const ORIGIN = 'http://shop.local:3000'

for (const engine of ENGINES) {
  describe(`conversation reads on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        env: { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TRUSTED_PROXIES: '10.0.0.1' },
      })
      const send = (path: string, params: Record<string, string>) =>
        sendTwilioCallback(t.service.app, { calledUrl: ORIGIN + path, params })

      await send(
        '/webhooks/twilio/sms/inbound',
        incomingTextParams({
          From: '+15035550001',
          Body: 'Quote for 24 tees?',
          NumMedia: '1',
          MediaUrl0: 'https://api.twilio.com/media/ME9',
          MediaContentType0: 'image/png',
        }),
      )
      await send(
        '/webhooks/twilio/sms/inbound',
        incomingTextParams({ From: '+15035550002', Body: 'STOP' }),
      )
      await send('/webhooks/twilio/voicemail-transcription', {
        TranscriptionSid: 'TR1',
        TranscriptionStatus: 'completed',
        TranscriptionText: 'Call me back please',
        From: '+15035550001',
        To: '+15035550100',
      })
    })
    after(() => t.close())

    it('lists conversations with unread counts, opt-outs and pending drafts', async () => {
      const response = await t.service.app.inject({ url: '/api/conversations' })

      assert.equal(response.statusCode, 200)
      const list = response.json().conversations
      const byNumber = Object.fromEntries(
        list.map((c: { customerNumber: string }) => [c.customerNumber, c]),
      )
      assert.equal(list.length, 2)
      assert.equal(byNumber['+15035550001'].unreadCount, 2)
      assert.equal(byNumber['+15035550001'].pendingDrafts, 1)
      assert.equal(byNumber['+15035550002'].optedOut, true)
      assert.equal(byNumber['+15035550002'].pendingDrafts, 0)
    })

    it('reads one conversation with messages, media, voicemails and drafts', async () => {
      const list = (
        await t.service.app.inject({ url: '/api/conversations' })
      ).json()
      const id = list.conversations.find(
        (c: { customerNumber: string }) => c.customerNumber === '+15035550001',
      ).id

      const thread = (
        await t.service.app.inject({ url: `/api/conversations/${id}` })
      ).json()

      assert.equal(thread.messages.length, 1)
      assert.equal(thread.messages[0].body, 'Quote for 24 tees?')
      assert.deepEqual(
        thread.messages[0].media.map((m: { url: string }) => m.url),
        ['https://api.twilio.com/media/ME9'],
      )
      assert.equal(
        thread.voicemails[0].transcriptionText,
        'Call me back please',
      )
      assert.equal(thread.drafts[0].status, 'pending')
    })

    it('answers an unknown conversation with 404', async () => {
      for (const id of ['999999', 'abc', '0']) {
        const response = await t.service.app.inject({
          url: `/api/conversations/${id}`,
        })
        assert.equal(response.statusCode, 404)
        assert.match(String(response.headers['content-type']), /problem\+json/)
      }
    })

    it('answers a broken percent escape in the path with a 400 problem', async () => {
      for (const id of ['%ZZ', '%C3%28']) {
        const response = await t.service.app.inject({
          url: `/api/conversations/${id}`,
        })

        assert.equal(response.statusCode, 400)
        assert.match(String(response.headers['content-type']), /problem\+json/)
        assert.match(response.json().detail, /broken percent escape/)
      }
    })

    it('refuses a bad limit with 400 naming it', async () => {
      const response = await t.service.app.inject({
        url: '/api/conversations?limit=5000',
      })

      assert.equal(response.statusCode, 400)
      assert.match(
        response.json().detail,
        /limit must be a whole number from 1 to 200/,
      )
    })

    it('refuses callers outside the trusted networks with 403', async () => {
      const response = await t.service.app.inject({
        url: '/api/conversations',
        remoteAddress: '203.0.113.50',
      })

      assert.equal(response.statusCode, 403)
      assert.match(response.json().detail, /TRUSTED_NETWORKS/)
    })

    it('believes X-Forwarded-For only from a trusted proxy', async () => {
      const spoofed = await t.service.app.inject({
        url: '/api/conversations',
        remoteAddress: '203.0.113.50',
        headers: { 'x-forwarded-for': '127.0.0.1' },
      })
      const proxied = await t.service.app.inject({
        url: '/api/conversations',
        remoteAddress: '10.0.0.1',
        headers: { 'x-forwarded-for': '203.0.113.50' },
      })

      const shopDesk = await t.service.app.inject({
        url: '/api/conversations',
        remoteAddress: '10.0.0.1',
        headers: { 'x-forwarded-for': '192.168.1.20' },
      })

      assert.equal(spoofed.statusCode, 403)
      assert.equal(proxied.statusCode, 403)
      assert.equal(shopDesk.statusCode, 200)
    })
  })
}
