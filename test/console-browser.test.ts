/**
 * The console in a real browser: Debian's Chromium, driven by
 * playwright-core, against the whole service on PostgreSQL under a
 * BASE_PATH. Screenshots of each page land in test-artifacts/screenshots.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { keepScreenshot, launchChromium } from './support/browser.js'
import { CONSOLE_TEST_PASSWORD } from './support/console-session.js'
import { PushReceiver } from './support/push-receiver.js'
import {
  startTestService,
  TEST_SECRET,
  type TestService,
} from './support/test-service.js'

describe('the console in a browser', () => {
  const phones = new PushReceiver()
  let t: TestService
  let browser: Browser
  let page: Page
  let origin: string

  before(async () => {
    const ntfyUrl = await phones.start()
    t = await startTestService('postgres', {
      env: {
        BASE_PATH: '/pressos',
        CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD,
        PUSH_NTFY_URL: ntfyUrl,
        JOB_RETRY_LIMIT: '0',
      },
    })
    await t.service.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.service.app.server.address() as AddressInfo
    origin = `http://127.0.0.1:${port}`
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(10_000)
  })
  after(async () => {
    await browser?.close()
    await t?.close()
    await phones.stop()
  })

  const postEvent = async (body: object, secret = TEST_SECRET) => {
    const response = await fetch(`${origin}/pressos/webhooks/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-webhook-secret': secret,
      },
      body: JSON.stringify(body),
    })

    return { status: response.status, body: await response.json() }
  }

  const reloadUntil = async (selector: string) => {
    for (let tries = 0; tries < 60; tries++) {
      if ((await page.locator(selector).count()) > 0) return
      await new Promise((resolve) => setTimeout(resolve, 250))
      await page.reload()
    }
    throw new Error(`${selector} never appeared on ${page.url()}`)
  }

  it('asks for a sign-in first, then opens the console', async () => {
    await page.goto(`${origin}/pressos/console/feed`)
    assert.match(page.url(), /\/pressos\/console\/sign-in\?next=/)
    await keepScreenshot(page, '01-sign-in')

    await page.getByLabel('Name').fill('shop')
    await page.getByLabel('Password').fill(CONSOLE_TEST_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()

    await page.waitForURL(`${origin}/pressos/console/feed`)
    assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1)
  })

  it('lists every door at its full address under BASE_PATH', async () => {
    await page.goto(`${origin}/pressos/console/webhooks`)

    const events = page.locator(
      '[data-door-id="webhooks.events"] [data-full-url]',
    )
    const twilio = page.locator(
      '[data-door-id="twilio.sms.inbound"] [data-full-url]',
    )
    assert.equal(
      (await events.textContent())?.trim(),
      `${origin}/pressos/webhooks/events`,
    )
    assert.equal(
      (await twilio.textContent())?.trim(),
      `${origin}/pressos/webhooks/twilio/sms/inbound`,
    )
    assert.ok(!(await page.content()).includes(TEST_SECRET))
    await keepScreenshot(page, '02-webhooks')
  })

  let eventId: number

  it('shows a new event in the live feed without a reload', async () => {
    await page.goto(`${origin}/pressos/console/feed`)
    await page.locator('#feed[data-stream-state="open"]').waitFor()
    await page.evaluate(() => {
      ;(window as unknown as { sameDocument: boolean }).sameDocument = true
    })

    // The shop's phones refuse the first push: its rule run fails.
    phones.statuses = [500]
    const sent = await postEvent({
      event_type: 'lead.new_inquiry',
      source: 'website',
      data: {
        customer: { name: 'Rosa Diaz' },
        message: '48 hoodies, two-colour front print',
      },
    })
    assert.equal(sent.status, 202)
    eventId = sent.body.id

    const row = page.locator(`#feed tr[data-event-id="${eventId}"]`)
    await row.waitFor({ timeout: 10_000 })
    assert.match((await row.textContent()) ?? '', /lead\.new_inquiry/)
    const sameDocument = await page.evaluate(
      () => (window as unknown as { sameDocument?: boolean }).sameDocument,
    )
    assert.equal(sameDocument, true, 'the page was not reloaded')
    await keepScreenshot(page, '03-live-feed')
  })

  it('opens the event and runs its failed rule run again', async () => {
    await page.locator(`#feed tr[data-event-id="${eventId}"] a`).first().click()
    await page.waitForURL(`${origin}/pressos/console/feed/${eventId}`)
    assert.match(await page.content(), /48 hoodies, two-colour front print/)

    await reloadUntil('tr[data-rule-run-id][data-status="failed"]')
    await keepScreenshot(page, '04-event-failed-run')
    await page.getByRole('button', { name: /again/ }).click()

    await page.waitForURL(`${origin}/pressos/console/feed/${eventId}?retried=1`)
    await reloadUntil('tr[data-rule-run-id][data-status="done"]')
    assert.equal(phones.received.length, 2, 'the push was sent again')
    await keepScreenshot(page, '05-event-run-again')
  })

  it('shows a refused request on the rejected page', async () => {
    const refused = await postEvent(
      { event_type: 'lead.new_inquiry' },
      'guessed-secret-42',
    )
    assert.equal(refused.status, 401)

    await page.goto(`${origin}/pressos/console/rejected`)
    const row = page.locator(
      'tr[data-door-id="webhooks.events"][data-refusal-id]',
    )
    await row.first().waitFor()
    assert.equal(
      await row.first().locator('[data-reason]').getAttribute('data-reason'),
      'bad-webhook-secret',
    )
    assert.equal(
      (
        await row.first().locator('[data-client-address]').textContent()
      )?.trim(),
      '127.0.0.1',
    )
    assert.ok(!(await page.content()).includes('guessed-secret-42'))
    await keepScreenshot(page, '06-rejected')
  })

  it('shows the inbox item the follow-up rule made', async () => {
    await page.goto(`${origin}/pressos/console/inbox`)

    await page.getByText('New inquiry from Rosa Diaz').first().waitFor()
  })

  for (const [name, path] of [
    ['07-inbox', 'inbox'],
    ['08-texts', 'conversations'],
    ['09-confirmations', 'confirmations'],
    ['10-quotes', 'quotes'],
    ['11-roadmap', 'roadmap'],
    ['12-notifications', 'notifications'],
  ] as const) {
    it(`renders the ${path} page`, async () => {
      const response = await page.goto(`${origin}/pressos/console/${path}`)

      assert.equal(response?.status(), 200)
      assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1)
      await keepScreenshot(page, name)
    })
  }
})
