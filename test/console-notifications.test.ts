import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import webpush from 'web-push'
import { listPushSubscriptions } from '../src/push/push-subscriptions.js'
import {
  CONSOLE_TEST_PASSWORD,
  signIn,
  type SignedIn,
} from './support/console-session.js'
import { startTestService, type TestService } from './support/test-service.js'
import { WebPushReceiver } from './support/web-push-receiver.js'

const keys = webpush.generateVAPIDKeys()

describe('turning on browser push from the console', () => {
  const browsers = new WebPushReceiver()
  let t: TestService
  let browser: SignedIn

  before(async () => {
    await browsers.start()
    t = await startTestService('pglite', {
      env: {
        CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD,
        VAPID_PUBLIC_KEY: keys.publicKey,
        VAPID_PRIVATE_KEY: keys.privateKey,
        VAPID_SUBJECT: 'mailto:owner@shop.example',
      },
    })
    browser = await signIn(t.service.app)
  })
  after(async () => {
    await t.close()
    await browsers.stop()
  })

  const subscribe = (headers: Record<string, string>) =>
    browser.request({
      method: 'POST',
      url: '/console/notifications/subscriptions',
      headers: { 'content-type': 'application/json', ...headers },
      payload: { ...browsers.subscription, label: 'Front desk iPad' },
    })

  it('offers the VAPID key to the page script', async () => {
    const page = await browser.request({
      method: 'GET',
      url: '/console/notifications',
    })

    assert.equal(page.statusCode, 200)
    assert.ok(page.body.includes(`data-vapid-key="${keys.publicKey}"`))
    assert.ok(!page.body.includes(keys.privateKey))
  })

  it('stores nothing from a subscription without the CSRF token', async () => {
    const response = await subscribe({})

    assert.equal(response.statusCode, 403)
    assert.deepEqual(await listPushSubscriptions(t.database.orm), [])
  })

  it('keeps the subscription and lists the browser', async () => {
    const response = await subscribe({ 'x-csrf-token': browser.csrf })
    const page = await browser.request({
      method: 'GET',
      url: '/console/notifications',
    })

    assert.equal(response.statusCode, 201)
    const [stored] = await listPushSubscriptions(t.database.orm)
    assert.equal(stored?.endpoint, browsers.subscription.endpoint)
    assert.match(page.body, new RegExp(`data-browser-id="${stored?.id}"`))
    assert.match(page.body, /Front desk iPad/)
  })

  it('sends a test notification to the subscribed browser', async () => {
    const response = await browser.request({
      method: 'POST',
      url: '/console/notifications/test',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(browser.csrf)}`,
    })

    assert.equal(response.statusCode, 303)
    const [push] = browsers.received
    assert.equal(push?.status, 201)
    assert.equal(
      JSON.parse(push?.text ?? '{}').title,
      'PressOS test notification',
    )
  })

  it('removes a browser from the list', async () => {
    const [stored] = await listPushSubscriptions(t.database.orm)
    const response = await browser.request({
      method: 'POST',
      url: `/console/notifications/browsers/${stored?.id}/remove`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(browser.csrf)}`,
    })

    assert.equal(response.statusCode, 303)
    assert.deepEqual(await listPushSubscriptions(t.database.orm), [])
  })
})
