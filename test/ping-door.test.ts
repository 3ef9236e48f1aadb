import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  startTestService,
  TEST_SECRET,
  type TestService,
} from './support/test-service.js'

describe('GET and POST /webhooks/ping', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite', {
      env: { BASE_PATH: '/pressos', TRUSTED_PROXIES: '10.0.0.0/8' },
    })
  })
  after(() => t.close())

  it('answers GET without a secret, with version and time', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/webhooks/ping',
    })

    assert.equal(response.statusCode, 200)
    const answer = response.json()
    assert.equal(answer.ok, true)
    assert.match(answer.version, /^\d+\.\d+\.\d+/)
    assert.ok(Math.abs(Date.parse(answer.time) - Date.now()) < 60_000)
  })

  it('answers POST the same way and ignores its body', async () => {
    const response = await t.service.app.inject({
      method: 'POST',
      url: '/pressos/webhooks/ping',
      headers: { 'content-type': 'application/json' },
      payload: '{"anything": true}',
    })

    assert.equal(response.statusCode, 200)
    assert.equal(response.json().ok, true)
  })

  it('gives the events URL under BASE_PATH on the host it was called at', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/webhooks/ping',
      headers: { host: 'shop.local:3000' },
    })

    const hint = response.json().webhook
    assert.equal(hint.url, 'http://shop.local:3000/pressos/webhooks/events')
    assert.equal(hint.secret_header, 'X-Webhook-Secret')
    assert.equal(hint.secret_configured, true)
  })

  it('believes forwarded headers from a trusted proxy', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/webhooks/ping',
      remoteAddress: '10.1.2.3',
      headers: {
        host: 'internal:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'shop.example.com',
      },
    })

    assert.equal(
      response.json().webhook.url,
      'https://shop.example.com/pressos/webhooks/events',
    )
  })

  it('ignores forwarded headers from anyone else', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/webhooks/ping',
      remoteAddress: '203.0.113.9',
      headers: {
        host: 'internal:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example.com',
      },
    })

    assert.equal(
      response.json().webhook.url,
      'http://internal:3000/pressos/webhooks/events',
    )
  })

  it('never shows the secret', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/webhooks/ping',
    })

    assert.ok(!response.body.includes(TEST_SECRET))
  })
})

describe('/webhooks/ping behind PUBLIC_BASE_URL', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite', {
      env: {
        BASE_PATH: '/pressos',
        PUBLIC_BASE_URL: 'https://print.example.com/',
        WEBHOOK_SECRET: '',
      },
    })
  })
  after(() => t.close())

  it('builds the events URL from PUBLIC_BASE_URL and BASE_PATH', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/webhooks/ping',
      headers: { host: 'localhost:3000' },
    })

    assert.equal(
      response.json().webhook.url,
      'https://print.example.com/pressos/webhooks/events',
    )
  })

  it('says when no secret is configured', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/webhooks/ping',
    })

    assert.equal(response.json().webhook.secret_configured, false)
  })
})
