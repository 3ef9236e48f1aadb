import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { readStaleInboxSettings } from '../src/config/inbox-settings.js'
import { hoursWaited } from '../src/mail/stale-inbox.js'
import { GmailTestServer } from './support/gmail-test-server.js'
import webpush from 'web-push'
import { PushReceiver } from './support/push-receiver.js'
import { WebPushReceiver } from './support/web-push-receiver.js'
import { ENGINES, query, resetTables } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'

const SIGN_IN = {
  clientId: 'shop-client',
  clientSecret: 'shop-secret',
  token: 'refresh-1',
}
const HOUR = 3_600_000

function inboxThread(subject: string, from: string, hoursAgo: number) {
  return {
    labels: ['INBOX'],
    messages: [
      {
        subject,
        from,
        date: new Date(Date.now() - hoursAgo * HOUR),
        text: 'Hi',
      },
    ],
  }
}

for (const engine of ENGINES) {
  describe(`POST /api/gmail/inbox-stale-check on ${engine}`, () => {
    const gmail = new GmailTestServer({ refreshToken: SIGN_IN })
    const ntfy = new PushReceiver()
    const browser = new WebPushReceiver()
    const vapid = webpush.generateVAPIDKeys()
    let t: TestService

    const check = (
      remoteAddress = '127.0.0.1',
      headers: Record<string, string> = {},
    ) =>
      t.service.app.inject({
        method: 'POST',
        url: '/api/gmail/inbox-stale-check',
        remoteAddress,
        headers,
      })

    before(async () => {
      await browser.start()
      const { rootUrl, tokenUrl } = await gmail.start()
      t = await startTestService(engine, {
        env: {
          GMAIL_CLIENT_ID: SIGN_IN.clientId,
          GMAIL_CLIENT_SECRET: SIGN_IN.clientSecret,
          GMAIL_REFRESH_TOKEN: SIGN_IN.token,
          GMAIL_API_ROOT_URL: rootUrl,
          GOOGLE_OAUTH_TOKEN_URL: tokenUrl,
          SHOP_EMAIL_DOMAINS: 'smithprint.example',
          SHOP_EMAIL_ADDRESSES: 'owner.smithprint@gmail.example',
          INBOX_STALE_HOURS: '24',
          STALE_REMINDER_COOLDOWN_MINUTES: '60',
          PUSH_NTFY_URL: await ntfy.start(),
          VAPID_PUBLIC_KEY: vapid.publicKey,
          VAPID_PRIVATE_KEY: vapid.privateKey,
          VAPID_SUBJECT: 'mailto:owner@smithprint.example',
        },
      })
    })
    after(async () => {
      await t.close()
      await gmail.stop()
      await ntfy.stop()
      await browser.stop()
    })
    beforeEach(async () => {
      await resetTables(t.database)
      gmail.clearThreads()
      ntfy.received.length = 0
      ntfy.statuses = []
      browser.received.length = 0
    })

    it('counts customer threads waiting too long and sends one reminder', async () => {
      gmail.addThread(
        inboxThread('Hoodie quote?', 'Rosa <rosa@customer.example>', 30),
      )
      gmail.addThread(
        inboxThread('Re: Hoodie quote?', 'Sam <sam@smithprint.example>', 40),
      )
      gmail.addThread(
        inboxThread('Fwd: order', 'owner.smithprint@gmail.example', 50),
      )
      gmail.addThread(inboxThread('Jerseys', 'Lee <lee@team.example>', 2))
      gmail.addThread(inboxThread('Banner reprint', 'ops@league.example', 72))

      const response = await check()

      assert.equal(response.statusCode, 200)
      const answer = response.json()
      assert.equal(answer.checked, 5)
      assert.equal(answer.count, 2)
      assert.equal(answer.threshold_hours, 24)
      assert.deepEqual(
        answer.oldest.map((thread: { subject: string }) => thread.subject),
        ['Banner reprint', 'Hoodie quote?'],
      )
      assert.equal(answer.reminder_sent, true)
      assert.equal(ntfy.received.length, 1)
      assert.equal(
        ntfy.received[0]!.headers.title,
        '2 inbox threads waiting over 24 h',
      )
      assert.match(ntfy.received[0]!.body, /Banner reprint/)
      const reminders = await query(
        t.database,
        'select stale_count from stale_reminders',
      )
      assert.deepEqual(reminders, [{ stale_count: 2 }])
    })

    it("delivers the reminder to a subscribed browser's push service", async () => {
      const subscribed = await t.service.app.inject({
        method: 'POST',
        url: '/api/push/subscriptions',
        headers: { 'content-type': 'application/json' },
        payload: { ...browser.subscription, label: "Owner's laptop" },
      })
      gmail.addThread(inboxThread('Hoodie quote?', 'rosa@customer.example', 30))

      const answer = (await check()).json()

      assert.equal(subscribed.statusCode, 201)
      assert.equal(answer.reminder_sent, true)
      const [payload] = browser.payloads() as { title: string; body: string }[]
      assert.equal(payload?.title, '1 inbox thread waiting over 24 h')
      assert.match(payload?.body ?? '', /Hoodie quote\?/)
      assert.equal(ntfy.received.length, 1, 'ntfy gets it too')
    })

    it('waits out the cooldown before reminding again', async () => {
      gmail.addThread(inboxThread('Hoodie quote?', 'rosa@customer.example', 30))

      await check()
      const again = (await check()).json()
      await t.database.orm.execute(
        sql`update stale_reminders set sent_at = now() - interval '2 hours'`,
      )
      const later = (await check()).json()

      assert.equal(again.reminder_sent, false)
      assert.equal(again.reminder_skipped, 'cooldown')
      assert.equal(later.reminder_sent, true)
      assert.equal(ntfy.received.length, 2)
    })

    it('sends nothing when nothing is stale', async () => {
      gmail.addThread(inboxThread('Jerseys', 'lee@team.example', 1))

      const answer = (await check()).json()

      assert.equal(answer.count, 0)
      assert.equal(answer.reminder_skipped, 'nothing stale')
      assert.equal(ntfy.received.length, 0)
    })

    it('sends one reminder when checks run at once', async () => {
      gmail.addThread(inboxThread('Hoodie quote?', 'rosa@customer.example', 30))

      const answers = await Promise.all([check(), check(), check()])

      const sent = answers.filter((a) => a.json().reminder_sent)
      assert.equal(sent.length, 1)
      assert.equal(ntfy.received.length, 1)
    })

    it('answers 502 when Gmail fails in the middle, reminding no one', async () => {
      gmail.addThread(inboxThread('One', 'a@customer.example', 30))
      const second = gmail.addThread(
        inboxThread('Two', 'b@customer.example', 30),
      )
      gmail.failNext('GET', new RegExp(`threads/${second}$`), 404)

      const response = await check()

      assert.equal(response.statusCode, 502)
      assert.match(response.json().detail, /no reminder went out/)
      assert.equal(ntfy.received.length, 0)
      assert.deepEqual(
        await query(t.database, 'select 1 from stale_reminders'),
        [],
      )
    })

    it('keeps no record of a reminder that could not be delivered', async () => {
      gmail.addThread(inboxThread('Hoodie quote?', 'rosa@customer.example', 30))
      ntfy.statuses = [500]

      const failed = await check()
      const retried = (await check()).json()

      assert.equal(failed.statusCode, 502)
      assert.equal(failed.json().count, 1)
      assert.equal(retried.reminder_sent, true)
    })

    it('refuses callers outside the trusted networks, spoofed or not', async () => {
      const outside = await check('203.0.113.9')
      const spoofed = await check('203.0.113.9', {
        'x-forwarded-for': '127.0.0.1',
      })

      assert.equal(outside.statusCode, 403)
      assert.match(outside.json().detail, /TRUSTED_NETWORKS/)
      assert.equal(spoofed.statusCode, 403)
      assert.equal(ntfy.received.length, 0)
    })
  })
}

describe('hours waited in business hours', () => {
  const hours = readStaleInboxSettings({
    BUSINESS_HOURS: 'mon-fri 09:00-17:00',
  }).businessHours

  it('counts only the open hours, on the shop clock', () => {
    // Friday 16:00 to Monday 10:00 in Chicago (UTC-6 in December):
    // one hour on Friday, one on Monday.
    const since = new Date('2026-12-04T22:00:00Z')
    const now = new Date('2026-12-07T16:00:00Z')

    assert.equal(hoursWaited(since, now, hours, 'America/Chicago'), 2)
  })

  it('counts nothing over a weekend', () => {
    // Saturday 10:00 to Monday 08:00, Chicago.
    const since = new Date('2026-12-05T16:00:00Z')
    const now = new Date('2026-12-07T14:00:00Z')

    assert.equal(hoursWaited(since, now, hours, 'America/Chicago'), 0)
  })

  it('counts every hour without business hours', () => {
    const since = new Date('2026-12-05T16:00:00Z')
    const now = new Date('2026-12-07T14:00:00Z')

    assert.equal(hoursWaited(since, now, undefined, 'UTC'), 46)
  })

  it('refuses business hours it cannot read', () => {
    assert.throws(
      () => readStaleInboxSettings({ BUSINESS_HOURS: 'weekdays 9-5' }),
      /BUSINESS_HOURS must read like "mon-fri 08:00-17:30"/,
    )
  })
})
