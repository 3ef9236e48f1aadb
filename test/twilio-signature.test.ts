import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import twilio from 'twilio'
import { ENGINES, query, resetTables } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'
import {
  incomingTextParams,
  sendTwilioCallback,
  TWILIO_TOKEN,
} from './support/twilio-callbacks.js'

const INBOUND = '/webhooks/twilio/sms/inbound'

async function storedMessages(t: TestService): Promise<number> {
  const rows = await query(t.database, 'select id from sms_messages')

  return rows.length
}

/**
 * Posts `body` as Twilio posts JSON: the signature covers the called URL
 * with the body's `bodySHA256` in its query. `sent` replaces the body on the
 * way, for a body changed after it was signed.
 */
function sendSignedJson(t: TestService, body: string, sent = body) {
  const hash = twilio.getExpectedBodyHash(body)
  const path = `/pressos${INBOUND}?bodySHA256=${hash}`

  return t.service.app.inject({
    method: 'POST',
    url: path,
    headers: {
      host: 'shop.local:3000',
      'content-type': 'application/json',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(
        TWILIO_TOKEN,
        `http://shop.local:3000${path}`,
        {},
      ),
    },
    payload: sent,
  })
}

for (const engine of ENGINES) {
  describe(`Twilio signatures on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        env: {
          TWILIO_AUTH_TOKEN: `${TWILIO_TOKEN}, secondary-token-77`,
          TRUSTED_PROXIES: '10.0.0.0/8',
          BASE_PATH: '/pressos',
        },
      })
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('accepts a callback signed over the URL Twilio called', async () => {
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `http://shop.local:3000/pressos${INBOUND}`,
        params: incomingTextParams(),
      })

      assert.equal(response.statusCode, 200)
      assert.equal(await storedMessages(t), 1)
    })

    it('counts parameters it does not know and the query string', async () => {
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `http://shop.local:3000/pressos${INBOUND}?shop=north&x=a%20b`,
        params: incomingTextParams({
          AddOns: '{"status":"successful"}',
          SomethingTwilioAddsNextYear: 'value with spaces & symbols=+',
        }),
      })

      assert.equal(response.statusCode, 200)
    })

    it('accepts the secondary auth token while tokens rotate', async () => {
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `http://shop.local:3000/pressos${INBOUND}`,
        params: incomingTextParams(),
        token: 'secondary-token-77',
      })

      assert.equal(response.statusCode, 200)
    })

    it('accepts a callback behind a trusted proxy ending TLS on another port', async () => {
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `https://hooks.shop.example:8443/pressos${INBOUND}`,
        params: incomingTextParams(),
        remoteAddress: '10.0.0.5',
        headers: {
          host: '127.0.0.1:3000',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'hooks.shop.example:8443',
        },
      })

      assert.equal(response.statusCode, 200)
    })

    it('takes the port from X-Forwarded-Port when the host has none', async () => {
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `https://hooks.shop.example:8443/pressos${INBOUND}`,
        params: incomingTextParams(),
        remoteAddress: '10.0.0.5',
        headers: {
          host: '127.0.0.1:3000',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'hooks.shop.example',
          'x-forwarded-port': '8443',
        },
      })

      assert.equal(response.statusCode, 200)
    })

    it('ignores forwarded headers from a peer that is not a trusted proxy', async () => {
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `https://hooks.shop.example/pressos${INBOUND}`,
        params: incomingTextParams(),
        remoteAddress: '203.0.113.7',
        headers: {
          host: '127.0.0.1:3000',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'hooks.shop.example',
        },
      })

      assert.equal(response.statusCode, 403)
      assert.equal(await storedMessages(t), 0)
    })

    it('refuses a missing signature with 400 and stores nothing', async () => {
      const response = await t.service.app.inject({
        method: 'POST',
        url: `/pressos${INBOUND}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(incomingTextParams()).toString(),
      })

      assert.equal(response.statusCode, 400)
      assert.equal(
        response.json().type.endsWith('missing-twilio-signature'),
        true,
      )
      assert.equal(await storedMessages(t), 0)
    })

    it('refuses a signature made with another token with 403', async () => {
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `http://shop.local:3000/pressos${INBOUND}`,
        params: incomingTextParams(),
        token: 'someone-elses-token',
      })

      assert.equal(response.statusCode, 403)
      assert.match(response.json().detail, /TWILIO_WEBHOOK_PUBLIC_BASE_URL/)
      assert.equal(await storedMessages(t), 0)
    })

    it('refuses a signature over a stale URL with 403', async () => {
      const response = await sendTwilioCallback(t.service.app, {
        calledUrl: `http://shop.local:3000${INBOUND}`,
        path: `/pressos${INBOUND}`,
        params: incomingTextParams(),
      })

      assert.equal(response.statusCode, 403)
      assert.equal(await storedMessages(t), 0)
    })

    it('refuses a parameter changed after signing with 403', async () => {
      const params = incomingTextParams()
      const signature = twilio.getExpectedTwilioSignature(
        TWILIO_TOKEN,
        `http://shop.local:3000/pressos${INBOUND}`,
        params,
      )
      const response = await t.service.app.inject({
        method: 'POST',
        url: `/pressos${INBOUND}`,
        headers: {
          host: 'shop.local:3000',
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signature,
        },
        payload: new URLSearchParams({ ...params, Body: 'STOP' }).toString(),
      })

      assert.equal(response.statusCode, 403)
      assert.equal(await storedMessages(t), 0)
    })

    it('logs why it refused without the token or the signature', async () => {
      const params = incomingTextParams()
      const signature = twilio.getExpectedTwilioSignature(
        'someone-elses-token',
        `http://shop.local:3000/pressos${INBOUND}`,
        params,
      )
      await t.service.app.inject({
        method: 'POST',
        url: `/pressos${INBOUND}`,
        headers: {
          host: 'shop.local:3000',
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signature,
        },
        payload: new URLSearchParams(params).toString(),
      })

      assert.match(t.log.text, /X-Twilio-Signature does not match/)
      assert.ok(!t.log.text.includes(signature), 'the signature is not logged')
      assert.ok(!t.log.text.includes(TWILIO_TOKEN), 'the token is not logged')
    })

    it('accepts JSON signed with the bodySHA256 scheme', async () => {
      const body = JSON.stringify(incomingTextParams())

      const response = await sendSignedJson(t, body)

      assert.equal(response.statusCode, 200)
      assert.equal(await storedMessages(t), 1)
    })

    it('refuses JSON whose body does not match its bodySHA256', async () => {
      const body = JSON.stringify(incomingTextParams())

      const response = await sendSignedJson(
        t,
        body,
        body.replace('48 hoodies', '480 hoodies'),
      )

      assert.equal(response.statusCode, 403)
      assert.equal(await storedMessages(t), 0)
    })

    it('refuses signed JSON nested deeper than any door reads with 422', async () => {
      const params = { ...incomingTextParams(), Extra: {} }
      const body = JSON.stringify(params).replace(
        '"Extra":{}',
        '"Extra":' + '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
      )
      const response = await sendSignedJson(t, body)

      assert.equal(response.statusCode, 422)
      assert.match(response.json().detail, /more than 64 levels deep/)
      assert.equal(await storedMessages(t), 0)
    })

    it('refuses JSON without bodySHA256 with 415', async () => {
      const response = await t.service.app.inject({
        method: 'POST',
        url: `/pressos${INBOUND}`,
        headers: {
          'content-type': 'application/json',
          'x-twilio-signature': 'abc',
        },
        payload: JSON.stringify(incomingTextParams()),
      })

      assert.equal(response.statusCode, 415)
    })

    it('accepts HMAC-SHA256 signatures announced in the settings header', async () => {
      const params = incomingTextParams()
      const calledUrl = `http://shop.local:3000/pressos${INBOUND}`
      const signature = twilio.getExpectedTwilioSignature(
        TWILIO_TOKEN,
        calledUrl,
        params,
        'HMAC_SHA256',
      )

      const response = await t.service.app.inject({
        method: 'POST',
        url: `/pressos${INBOUND}`,
        headers: {
          host: 'shop.local:3000',
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signature,
          'x-twilio-webhooks-signature-settings':
            'key=wk_1,algorithm=HMAC_SHA256',
        },
        payload: new URLSearchParams(params).toString(),
      })

      assert.equal(response.statusCode, 200)
    })
  })
}

describe('Twilio signatures with TWILIO_WEBHOOK_PUBLIC_BASE_URL', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite', {
      env: {
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_WEBHOOK_PUBLIC_BASE_URL: 'https://twilio-hooks.shop.example',
        TRUSTED_PROXIES: '10.0.0.0/8',
        BASE_PATH: '/pressos',
      },
    })
  })
  after(() => t.close())

  it('validates against the configured base even when proxy headers say otherwise', async () => {
    const response = await sendTwilioCallback(t.service.app, {
      calledUrl: `https://twilio-hooks.shop.example/pressos${INBOUND}?a=1`,
      params: incomingTextParams(),
      remoteAddress: '10.0.0.5',
      headers: {
        host: 'internal:3000',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'wrong.example',
      },
    })

    assert.equal(response.statusCode, 200)
  })
})

describe('Twilio doors with no auth token', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite')
  })
  after(() => t.close())

  it('are closed with 503 naming TWILIO_AUTH_TOKEN', async () => {
    const response = await sendTwilioCallback(t.service.app, {
      calledUrl: `http://localhost${INBOUND}`,
      params: incomingTextParams(),
    })

    assert.equal(response.statusCode, 503)
    assert.match(response.json().detail, /TWILIO_AUTH_TOKEN/)
  })
})
