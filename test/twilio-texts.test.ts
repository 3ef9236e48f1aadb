import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { parseRuleBook } from '../src/follow-up/rule-book.js'
import { ENGINES, query, resetTables } from './support/test-database.js'
import {
  startTestService,
  waitFor,
  type TestService,
} from './support/test-service.js'
import {
  incomingTextParams,
  sendTwilioCallback,
  TWILIO_TOKEN,
} from './support/twilio-callbacks.js'

const ORIGIN = 'http://shop.local:3000'
const SHOP = '+15035550100'
const CUSTOMER = '+15035550199'

const RULES = parseRuleBook(
  `
rules:
  - id: text-to-inbox
    on: twilio.sms.inbound
    actions:
      - type: inbox_item
        title: "Text from {{data.from}}"
        body: "{{data.body}}"
`,
  'texts.yaml',
)

function text(t: TestService, overrides: Record<string, string> = {}) {
  return sendTwilioCallback(t.service.app, {
    calledUrl: `${ORIGIN}/webhooks/twilio/sms/inbound`,
    params: incomingTextParams(overrides),
  })
}

function status(t: TestService, params: Record<string, string>) {
  return sendTwilioCallback(t.service.app, {
    calledUrl: `${ORIGIN}/webhooks/twilio/sms/status`,
    params: {
      AccountSid: 'AC00000000000000000000000000000000',
      ApiVersion: '2010-04-01',
      From: SHOP,
      To: CUSTOMER,
      ...params,
    },
  })
}

/** Every order of `items`. */
function orders<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items]

  return items.flatMap((item, i) =>
    orders([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [
      item,
      ...rest,
    ]),
  )
}

for (const engine of ENGINES) {
  describe(`Twilio text doors on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        ruleBook: RULES,
        env: { TWILIO_AUTH_TOKEN: TWILIO_TOKEN },
      })
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('stores a text, its conversation and a reply draft, answering empty TwiML', async () => {
      const response = await text(t, { MessageSid: 'SM-first', Body: 'Hi!' })

      assert.equal(response.statusCode, 200)
      assert.match(String(response.headers['content-type']), /^text\/xml/)
      assert.equal(response.body, '<Response></Response>')
      const [message] = await query<any>(
        t.database,
        'select direction, body, status, from_number, to_number from sms_messages',
      )
      assert.deepEqual(message, {
        direction: 'inbound',
        body: 'Hi!',
        status: 'received',
        from_number: CUSTOMER,
        to_number: SHOP,
      })
      const [conversation] = await query<any>(
        t.database,
        `select shop_number, customer_number, unread_count, opted_out,
           last_message_at is not null as has_time
         from conversations`,
      )
      assert.deepEqual(conversation, {
        shop_number: SHOP,
        customer_number: CUSTOMER,
        unread_count: 1,
        opted_out: false,
        has_time: true,
      })
      const drafts = await query<any>(
        t.database,
        'select status from reply_drafts',
      )
      assert.deepEqual(drafts, [{ status: 'pending' }])
    })

    it('stores the media of a picture message', async () => {
      await text(t, {
        NumMedia: '2',
        MediaUrl0: 'https://api.twilio.com/media/ME1',
        MediaContentType0: 'image/jpeg',
        MediaUrl1: 'https://api.twilio.com/media/ME2',
        MediaContentType1: 'application/pdf',
      })

      const media = await query<any>(
        t.database,
        'select position, url, content_type from sms_media order by position',
      )
      assert.deepEqual(media, [
        {
          position: 0,
          url: 'https://api.twilio.com/media/ME1',
          content_type: 'image/jpeg',
        },
        {
          position: 1,
          url: 'https://api.twilio.com/media/ME2',
          content_type: 'application/pdf',
        },
      ])
    })

    it('logs twilio.sms.inbound and runs its follow-up rules', async () => {
      await text(t, { Body: 'Need a rush order' })

      const [event] = await query<any>(
        t.database,
        `select event_type, source from activity_events`,
      )
      assert.deepEqual(event, {
        event_type: 'twilio.sms.inbound',
        source: 'twilio',
      })
      const item = await waitFor(async () => {
        // An earlier test's follow-up job may still finish after the reset.
        const [row] = await query<any>(
          t.database,
          `select title, body from inbox_items
           where body = 'Need a rush order'`,
        )

        return row
      }, 'the inbox item of the text')
      assert.deepEqual(item, {
        title: `Text from ${CUSTOMER}`,
        body: 'Need a rush order',
      })
    })

    it('stores a text Twilio sends twice once', async () => {
      await text(t, { MessageSid: 'SM-twice' })
      const again = await text(t, { MessageSid: 'SM-twice' })

      assert.equal(again.statusCode, 200)
      for (const table of ['sms_messages', 'reply_drafts', 'activity_events']) {
        const rows = await query(t.database, `select 1 from ${table}`)
        assert.equal(rows.length, 1, `one row in ${table}`)
      }
      const [conversation] = await query<any>(
        t.database,
        'select unread_count from conversations',
      )
      assert.equal(conversation.unread_count, 1)
    })

    it('opts out on STOP and back in on START, drafting neither', async () => {
      const drafts = async () =>
        (await query(t.database, 'select 1 from reply_drafts')).length
      const optedOut = async () =>
        (await query<any>(t.database, 'select opted_out from conversations'))[0]
          .opted_out

      await text(t, { Body: '  stop ' })
      assert.equal(await optedOut(), true)
      assert.equal(await drafts(), 0)

      await text(t, { Body: 'Actually, one question' })
      assert.equal(await drafts(), 0, 'no drafts while opted out')

      await text(t, { Body: 'START' })
      assert.equal(await optedOut(), false)
      assert.equal(await drafts(), 0)

      await text(t, { Body: 'Hoodies in navy?' })
      assert.equal(await drafts(), 1)
    })

    it("follows Twilio's own OptOutType", async () => {
      await text(t, { Body: 'please remove me', OptOutType: 'STOP' })

      const [conversation] = await query<any>(
        t.database,
        'select opted_out from conversations',
      )
      assert.equal(conversation.opted_out, true)
    })

    it('refuses a text without From with 422 and stores nothing', async () => {
      const params = incomingTextParams()
      delete params.From
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `${ORIGIN}/webhooks/twilio/sms/inbound`,
        params,
      })

      assert.equal(response.statusCode, 422)
      assert.match(response.json().detail, /From is required/)
      assert.deepEqual(
        await query(t.database, 'select 1 from sms_messages'),
        [],
      )
    })

    it('refuses a signed text holding a NUL with 422 and stores nothing', async () => {
      const response = await text(t, { Body: 'hoodies\u0000?' })

      assert.equal(response.statusCode, 422)
      assert.match(response.json().detail, /Body holds a NUL/)
      assert.deepEqual(
        await query(t.database, 'select 1 from sms_messages'),
        [],
      )
    })

    it('refuses media it was promised but not sent with 422', async () => {
      const response = await text(t, {
        NumMedia: '2',
        MediaUrl0: 'https://x/1',
      })

      assert.equal(response.statusCode, 422)
      assert.deepEqual(
        await query(t.database, 'select 1 from sms_messages'),
        [],
      )
    })

    it('refuses a body that is not a form with 415', async () => {
      const response = await t.service.app.inject({
        method: 'POST',
        url: '/webhooks/twilio/sms/inbound',
        headers: { 'content-type': 'text/plain', 'x-twilio-signature': 'x' },
        payload: 'Body=hi',
      })

      assert.equal(response.statusCode, 415)
    })

    it('ends on delivered whatever order the statuses arrive in', async () => {
      const sequences = orders(['queued', 'sending', 'sent', 'delivered'])
      for (const [n, sequence] of sequences.entries()) {
        for (const messageStatus of sequence) {
          const response = await status(t, {
            MessageSid: `SM-order-${n}`,
            MessageStatus: messageStatus,
          })
          assert.equal(response.statusCode, 200)
          assert.equal(response.body, '')
        }
      }

      const finals = await query<any>(
        t.database,
        'select distinct status from sms_messages',
      )
      assert.equal(sequences.length, 24)
      assert.deepEqual(finals, [{ status: 'delivered' }])
    })

    it('moves on to read after delivered, and keeps a final failure', async () => {
      for (const sequence of orders(['sent', 'delivered', 'read'])) {
        const sid = `SM-read-${sequence.join('-')}`
        for (const s of sequence)
          await status(t, { MessageSid: sid, MessageStatus: s })
      }
      await status(t, {
        MessageSid: 'SM-fail',
        MessageStatus: 'failed',
        ErrorCode: '30003',
      })
      await status(t, { MessageSid: 'SM-fail', MessageStatus: 'sent' })

      const read = await query<any>(
        t.database,
        `select distinct status from sms_messages where message_sid like 'SM-read-%'`,
      )
      assert.deepEqual(read, [{ status: 'read' }])
      const [failed] = await query<any>(
        t.database,
        `select status, error_code from sms_messages where message_sid = 'SM-fail'`,
      )
      assert.deepEqual(failed, { status: 'failed', error_code: '30003' })
    })

    it('keeps a status for a message it never saw, in its conversation', async () => {
      await status(t, { MessageSid: 'SM-unknown', MessageStatus: 'sent' })

      const [message] = await query<any>(
        t.database,
        `select m.direction, m.status, c.customer_number
         from sms_messages m join conversations c on c.id = m.conversation_id`,
      )
      assert.deepEqual(message, {
        direction: 'outbound',
        status: 'sent',
        customer_number: CUSTOMER,
      })
    })

    it('stores a repeated status callback once and logs twilio.sms.status', async () => {
      await status(t, { MessageSid: 'SM-rep', MessageStatus: 'delivered' })
      await status(t, { MessageSid: 'SM-rep', MessageStatus: 'delivered' })

      const reports = await query(
        t.database,
        'select 1 from sms_status_reports',
      )
      assert.equal(reports.length, 1)
      const events = await query<any>(
        t.database,
        'select event_type from activity_events',
      )
      assert.deepEqual(events, [{ event_type: 'twilio.sms.status' }])
    })

    it('refuses a status callback without MessageStatus with 422', async () => {
      const response = await status(t, { MessageSid: 'SM-x' })

      assert.equal(response.statusCode, 422)
      assert.deepEqual(
        await query(t.database, 'select 1 from sms_status_reports'),
        [],
      )
    })
  })
}
