import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import webpush from 'web-push'

import type { WebPushSettings } from '../src/config/push-settings.js'
import {
  createNotifier,
  PushDeliveryError,
  type PushMessage,
} from '../src/push/notifier.js'
import {
  listPushSubscriptions,
  savePushSubscription,
} from '../src/push/push-subscriptions.js'
import { createWebPushDriver } from '../src/push/web-push-driver.js'
import type { Database } from '../src/storage/database.js'
import { pushSubscriptions } from '../src/storage/schema.js'
import { PushReceiver } from './support/push-receiver.js'
import {
  createTestDatabase,
  ENGINES,
  resetTables,
} from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'
import {
  WebPushReceiver,
  type BrowserSubscription,
} from './support/web-push-receiver.js'

const VAPID: WebPushSettings = {
  ...webpush.generateVAPIDKeys(),
  subject: 'mailto:owner@shop.example',
}

const VAPID_ENV = {
  VAPID_PUBLIC_KEY: VAPID.publicKey,
  VAPID_PRIVATE_KEY: VAPID.privateKey,
  VAPID_SUBJECT: VAPID.subject,
}

const qcFailed: PushMessage = {
  title: 'QC failed: WO-1042',
  message: 'Cracked ink on 12 of 48 hoodies',
  priority: 'urgent',
  tags: ['rotating_light', 'qc'],
  click: 'https://pressos.example/work-orders/WO-1042',
}

/** A logger that keeps what it is told, to check what reaches the log. */
function recordingLogger() {
  const lines: { level: string; obj: object; msg: string }[] = []

  return {
    lines,
    info: (obj: object, msg: string) => lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj, msg }),
  }
}

function subscribe(database: Database, browser: BrowserSubscription) {
  return savePushSubscription(database.orm, {
    endpoint: browser.endpoint,
    ...browser.keys,
  })
}

function hostOf(browser: BrowserSubscription): string {
  return new URL(browser.endpoint).host
}

for (const engine of ENGINES) {
  describe(`the Web Push driver on ${engine}`, () => {
    const receiver = new WebPushReceiver()
    let database: Database

    before(async () => {
      database = await createTestDatabase(engine)
      await database.migrate()
      await receiver.start()
    })
    after(async () => {
      await receiver.stop()
      await database.close()
    })
    beforeEach(async () => {
      await database.orm.delete(pushSubscriptions)
      receiver.received.length = 0
    })

    const driver = (logger = recordingLogger()) =>
      createWebPushDriver(VAPID, database.orm, logger)

    it('delivers a payload the subscribed browser can decrypt', async () => {
      await subscribe(database, receiver.subscription)

      const report = await driver().send(qcFailed)

      assert.deepEqual(report, { sent: 1, removed: 0, failed: [] })
      assert.deepEqual(receiver.payloads(), [
        {
          title: 'QC failed: WO-1042',
          body: 'Cracked ink on 12 of 48 hoodies',
          priority: 'urgent',
          tags: ['rotating_light', 'qc'],
          click: 'https://pressos.example/work-orders/WO-1042',
        },
      ])
      assert.equal(
        receiver.received[0]?.headers['content-encoding'],
        'aes128gcm',
      )
      assert.equal(receiver.received[0]?.ttl, 24 * 60 * 60)
    })

    it('notes when each subscription last took a notification', async () => {
      await subscribe(database, receiver.subscription)
      const before = Date.now()

      await driver().send(qcFailed)

      const [stored] = await listPushSubscriptions(database.orm)
      assert.ok(stored?.lastSuccessAt, 'last_success_at was not set')
      assert.ok(stored.lastSuccessAt.getTime() >= before - 1000)
    })

    it('maps low, normal, high and urgent to the push urgency', async () => {
      await subscribe(database, receiver.subscription)
      for (const priority of ['low', 'normal', 'high', 'urgent'] as const) {
        await driver().send({ ...qcFailed, priority })
      }

      assert.deepEqual(
        receiver.received.map((push) => push.urgency),
        ['low', 'normal', 'high', 'high'],
      )
    })

    it("signs each push with the shop's VAPID key", async () => {
      await subscribe(database, receiver.subscription)

      await driver().send(qcFailed)

      const vapid = receiver.received[0]?.vapid
      assert.ok(vapid, 'no "Authorization: vapid t=..., k=..." header')
      assert.equal(vapid.k, VAPID.publicKey)
      assert.ok(vapid.signatureValid, 'the VAPID JWT signature is not valid')
      assert.equal(vapid.claims.sub, 'mailto:owner@shop.example')
      assert.equal(vapid.claims.aud, `https://${hostOf(receiver.subscription)}`)
    })

    for (const status of [404, 410]) {
      it(`removes a subscription its push service answers ${status}`, async () => {
        const gone = receiver.subscribe()
        await subscribe(database, gone)
        await subscribe(database, receiver.subscription)
        receiver.answerWith(gone.endpoint, status)

        const report = await driver().send(qcFailed)

        assert.deepEqual(report, { sent: 1, removed: 1, failed: [] })
        const left = await listPushSubscriptions(database.orm)
        assert.deepEqual(
          left.map((row) => row.endpoint),
          [receiver.subscription.endpoint],
        )
      })
    }

    it('keeps a subscription whose push service fails, reporting it', async () => {
      const id = await subscribe(database, receiver.subscription)
      receiver.answerWith(receiver.subscription.endpoint, 500)

      const report = await driver().send(qcFailed)

      const host = hostOf(receiver.subscription)
      assert.equal(report.sent, 0)
      assert.equal(report.removed, 0)
      assert.deepEqual(report.failed, [
        {
          subscriptionId: id,
          host,
          status: 500,
          message: `${host} answered 500: push service says 500`,
        },
      ])
      assert.equal((await listPushSubscriptions(database.orm)).length, 1)
    })

    it('reports a push service it cannot reach, by host only', async () => {
      const endpoint = 'https://127.0.0.1:1/push/secret-capability'
      const id = await subscribe(database, {
        endpoint,
        keys: receiver.subscription.keys,
      })

      const report = await driver().send(qcFailed)

      assert.equal(report.failed.length, 1)
      assert.equal(report.failed[0]?.subscriptionId, id)
      assert.equal(report.failed[0]?.status, null)
      assert.match(report.failed[0]?.message ?? '', /127\.0\.0\.1:1\b/)
      assert.doesNotMatch(report.failed[0]?.message ?? '', /secret-capability/)
    })

    it('logs the host of a refusing push service, never its endpoint', async () => {
      const gone = receiver.subscribe()
      await subscribe(database, gone)
      await subscribe(database, receiver.subscription)
      receiver.answerWith(gone.endpoint, 410)
      receiver.answerWith(receiver.subscription.endpoint, 503)
      const logger = recordingLogger()

      await driver(logger).send(qcFailed)

      const logged = JSON.stringify(logger.lines)
      assert.equal(logger.lines.length, 2)
      assert.ok(logged.includes(hostOf(gone)), logged)
      for (const browser of [gone, receiver.subscription]) {
        assert.ok(!logged.includes(new URL(browser.endpoint).pathname), logged)
      }
    })

    const longBodies = {
      'plain text': 'Cracked ink on the left sleeve. '.repeat(300),
      'text of several bytes a character': 'Zoë’s “brodé” ✂️ order\n'.repeat(
        300,
      ),
    }
    for (const [kind, message] of Object.entries(longBodies)) {
      it(`shortens a long body of ${kind} to fit one push message`, async () => {
        await subscribe(database, receiver.subscription)

        const report = await driver().send({ ...qcFailed, message })

        assert.equal(report.sent, 1)
        const bytes = receiver.received[0]?.bodyBytes ?? 0
        assert.ok(bytes > 4000 && bytes <= 4096, `the body has ${bytes} bytes`)
        const [payload] = receiver.payloads() as { body: string }[]
        const body = payload?.body ?? ''
        assert.ok(body.endsWith('…'), body)
        assert.ok(message.startsWith(body.slice(0, -1)))
      })
    }

    it('sends nothing when no browser is subscribed', async () => {
      const report = await driver().send(qcFailed)

      assert.deepEqual(report, { sent: 0, removed: 0, failed: [] })
      assert.equal(receiver.received.length, 0)
    })
  })

  describe(`a notifier with ntfy and Web Push on ${engine}`, () => {
    const browsers = new WebPushReceiver()
    const ntfy = new PushReceiver()
    let ntfyUrl: string
    let database: Database

    before(async () => {
      database = await createTestDatabase(engine)
      await database.migrate()
      await browsers.start()
      ntfyUrl = await ntfy.start()
    })
    after(async () => {
      await ntfy.stop()
      await browsers.stop()
      await database.close()
    })
    beforeEach(async () => {
      await database.orm.delete(pushSubscriptions)
      browsers.received.length = 0
      ntfy.received.length = 0
      ntfy.statuses = []
    })

    const notifier = (options: { ntfy?: boolean } = {}) =>
      createNotifier({
        ...(options.ntfy === false ? {} : { url: ntfyUrl }),
        webPush: VAPID,
        orm: database.orm,
        logger: recordingLogger(),
      })

    it('delivers to the ntfy topic and to every browser', async () => {
      await subscribe(database, browsers.subscription)

      const report = await notifier().sendReport(qcFailed)

      assert.deepEqual(report, {
        ntfy: 'sent',
        webPush: { sent: 1, removed: 0, failed: [] },
      })
      assert.equal(ntfy.received.length, 1)
      assert.equal(ntfy.received[0]?.body, 'Cracked ink on 12 of 48 hoodies')
      assert.deepEqual(
        (browsers.payloads() as { title: string }[]).map((p) => p.title),
        ['QC failed: WO-1042'],
      )
    })

    it('names its channels as the driver', () => {
      assert.equal(notifier().driver, 'ntfy+web-push')
      assert.equal(notifier({ ntfy: false }).driver, 'web-push')
      assert.equal(
        createNotifier({ webPush: VAPID, logger: recordingLogger() }).driver,
        'log',
      )
    })

    it('resolves when ntfy fails but a browser got it', async () => {
      await subscribe(database, browsers.subscription)
      ntfy.statuses = [500]

      await notifier().send(qcFailed)

      assert.equal(browsers.received.length, 1)
    })

    it('resolves when every browser fails but ntfy got it', async () => {
      await subscribe(database, browsers.subscription)
      browsers.answerWith(browsers.subscription.endpoint, 500)

      await notifier().send(qcFailed)

      assert.equal(ntfy.received.length, 1)
    })

    it('throws PushDeliveryError when every channel fails', async () => {
      await subscribe(database, browsers.subscription)
      browsers.answerWith(browsers.subscription.endpoint, 500)
      ntfy.statuses = [502]

      await assert.rejects(notifier().send(qcFailed), (error: unknown) => {
        assert.ok(error instanceof PushDeliveryError)
        assert.match(error.message, /ntfy server .* 502/)
        assert.match(error.message, /answered 500/)
        assert.doesNotMatch(error.message, /\/push\//)

        return true
      })
    })

    it('throws when ntfy fails and no browser is subscribed', async () => {
      ntfy.statuses = [500]

      await assert.rejects(notifier().send(qcFailed), PushDeliveryError)
    })

    it('resolves with Web Push alone and nobody subscribed', async () => {
      await notifier({ ntfy: false }).send(qcFailed)

      assert.equal(browsers.received.length, 0)
    })

    it('throws with Web Push alone when every browser fails', async () => {
      await subscribe(database, browsers.subscription)
      browsers.answerWith(browsers.subscription.endpoint, 500)

      await assert.rejects(
        notifier({ ntfy: false }).send(qcFailed),
        PushDeliveryError,
      )
    })
  })

  describe(`the push subscription doors on ${engine}`, () => {
    const browsers = new WebPushReceiver()
    let t: TestService

    before(async () => {
      await browsers.start()
      t = await startTestService(engine, { env: VAPID_ENV })
    })
    after(async () => {
      await t.close()
      await browsers.stop()
    })
    beforeEach(() => resetTables(t.database))

    const post = (url: string, payload: object) =>
      t.service.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'user-agent': 'Tests' },
        payload,
      })

    it('gives the public VAPID key', async () => {
      const response = await t.service.app.inject({
        method: 'GET',
        url: '/api/push/vapid-public-key',
      })

      assert.equal(response.statusCode, 200)
      assert.deepEqual(response.json(), { publicKey: VAPID.publicKey })
    })

    it('keeps a subscription and answers 201 with its id', async () => {
      const response = await post('/api/push/subscriptions', {
        ...browsers.subscription,
        expirationTime: null,
        label: ' Front desk iPad ',
      })

      assert.equal(response.statusCode, 201)
      const [stored] = await listPushSubscriptions(t.database.orm)
      assert.deepEqual(response.json(), { id: stored?.id })
      assert.equal(stored?.endpoint, browsers.subscription.endpoint)
      assert.equal(stored?.p256dh, browsers.subscription.keys.p256dh)
      assert.equal(stored?.label, 'Front desk iPad')
      assert.equal(stored?.userAgent, 'Tests')
    })

    it('keeps one row per endpoint, with the newest keys', async () => {
      const first = await post('/api/push/subscriptions', {
        ...browsers.subscription,
        label: 'Press 2 tablet',
      })
      const newKeys = browsers.subscribe().keys
      const again = await post('/api/push/subscriptions', {
        endpoint: browsers.subscription.endpoint,
        keys: newKeys,
      })

      assert.equal(again.statusCode, 201)
      assert.deepEqual(again.json(), first.json())
      const stored = await listPushSubscriptions(t.database.orm)
      assert.equal(stored.length, 1)
      assert.equal(stored[0]?.auth, newKeys.auth)
      assert.equal(stored[0]?.label, 'Press 2 tablet')
    })

    it('refuses a bad subscription with 422 naming each field', async () => {
      const response = await post('/api/push/subscriptions', {
        endpoint: 'http://push.example/secret-capability',
        keys: { p256dh: 'not base64!', auth: 'AAAA' },
        label: 42,
      })

      assert.equal(response.statusCode, 422)
      const problem = response.json()
      assert.deepEqual(
        problem.errors.map((error: { field: string }) => error.field),
        ['endpoint', 'keys.p256dh', 'keys.auth', 'label'],
      )
      assert.match(problem.detail, /keys\.auth: must decode to 16 bytes, got 3/)
      assert.doesNotMatch(problem.detail, /secret-capability/)
      assert.equal((await listPushSubscriptions(t.database.orm)).length, 0)
    })

    it('refuses a subscription without keys with 422', async () => {
      const response = await post('/api/push/subscriptions', {
        endpoint: browsers.subscription.endpoint,
      })

      assert.equal(response.statusCode, 422)
      assert.deepEqual(
        response.json().errors.map((error: { field: string }) => error.field),
        ['keys'],
      )
    })

    it('refuses a p256dh key that is not a point on the curve', async () => {
      const offCurve = Buffer.alloc(65, 7)
      offCurve[0] = 4
      const response = await post('/api/push/subscriptions', {
        endpoint: browsers.subscription.endpoint,
        keys: {
          ...browsers.subscription.keys,
          p256dh: offCurve.toString('base64url'),
        },
      })

      assert.equal(response.statusCode, 422)
      assert.match(response.json().detail, /keys\.p256dh: .*P-256/)
    })

    it('forgets a subscription by its endpoint', async () => {
      await post('/api/push/subscriptions', browsers.subscription)
      const { endpoint } = browsers.subscription

      const removed = await post('/api/push/subscriptions/remove', { endpoint })
      const again = await post('/api/push/subscriptions/remove', { endpoint })

      assert.equal(removed.statusCode, 200)
      assert.deepEqual(removed.json(), { removed: true })
      assert.deepEqual(again.json(), { removed: false })
      assert.equal((await listPushSubscriptions(t.database.orm)).length, 0)
    })

    it('refuses callers outside the trusted networks', async () => {
      const response = await t.service.app.inject({
        method: 'POST',
        url: '/api/push/subscriptions',
        remoteAddress: '203.0.113.9',
        headers: { 'content-type': 'application/json' },
        payload: browsers.subscription,
      })

      assert.equal(response.statusCode, 403)
      assert.equal((await listPushSubscriptions(t.database.orm)).length, 0)
    })

    it('refuses to forget without an endpoint, with 422', async () => {
      const response = await post('/api/push/subscriptions/remove', {})

      assert.equal(response.statusCode, 422)
      assert.equal(response.json().errors[0].field, 'endpoint')
    })
  })
}

describe('the push subscription doors without VAPID keys', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite')
  })
  after(() => t.close())

  it('answers 503 naming the VAPID settings to set', async () => {
    const key = await t.service.app.inject({
      method: 'GET',
      url: '/api/push/vapid-public-key',
    })
    const subscribe = await t.service.app.inject({
      method: 'POST',
      url: '/api/push/subscriptions',
      headers: { 'content-type': 'application/json' },
      payload: {},
    })

    for (const response of [key, subscribe]) {
      assert.equal(response.statusCode, 503)
      const { detail } = response.json()
      for (const name of [
        'VAPID_PUBLIC_KEY',
        'VAPID_PRIVATE_KEY',
        'VAPID_SUBJECT',
      ]) {
        assert.ok(detail.includes(name), detail)
      }
    }
  })
})
