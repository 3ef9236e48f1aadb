import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'drizzle-orm'
import { createLogger, redactUrl } from '../src/http/logging.js'
import {
  CapturedLog,
  startTestService,
  TEST_SECRET,
  type TestService,
} from './support/test-service.js'

describe('logs', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite', { env: { LOG_LEVEL: 'trace' } })
  })
  after(() => t.close())

  it('are JSON lines that carry the request id', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/webhooks/ping',
      headers: { 'x-request-id': 'req-from-proxy-1' },
    })

    assert.equal(response.headers['x-request-id'], 'req-from-proxy-1')
    const lines = t.log.entries.filter(
      (entry) => entry.reqId === 'req-from-proxy-1',
    )
    const answered = lines.find((entry) => entry.status === 200)
    assert.ok(answered, 'the answer is logged with the request id')
    assert.equal(answered.msg, 'GET /webhooks/ping answered 200')
    assert.equal(answered.method, 'GET')
    assert.equal(typeof answered.ms, 'number')
  })

  it('never print the webhook secret, right or wrong', async () => {
    const wrong = 'guessed-secret-55aa'
    for (const secret of [TEST_SECRET, wrong]) {
      await t.service.app.inject({
        method: 'POST',
        url: '/webhooks/events',
        headers: {
          'content-type': 'application/json',
          'x-webhook-secret': secret,
          authorization: 'Bearer api-key-123',
        },
        payload: { event_type: 'quote.sent' },
      })
    }

    assert.ok(t.log.lines.length > 0)
    for (const secret of [TEST_SECRET, wrong, 'api-key-123']) {
      assert.ok(!t.log.text.includes(secret), `log holds ${secret}`)
    }
  })

  it('leave out the parameters of a query that failed', async () => {
    const failed = await t.database.orm
      .execute(sql`select ${'tk_live_4f9a'} as token from no_such_table`)
      .catch((error: unknown) => error)
    assert.ok(failed instanceof Error, 'the query failed')

    const log = new CapturedLog()
    createLogger('info', log).error({ err: failed }, 'request failed')

    assert.ok(!log.text.includes('tk_live_4f9a'), 'the parameter is logged')
    const { err } = log.entries[0] as { err: Record<string, string> }
    assert.match(err.message!, /^Failed query: select \$1 as token from/)
    assert.match(err.message!, /no_such_table" does not exist/, 'the reason')
    assert.equal(err.params, '1 left out')
  })

  it('censor secrets in any object logged with headers or config', () => {
    const log = new CapturedLog()
    const logger = createLogger('info', log)

    logger.info(
      {
        req: { headers: { 'x-webhook-secret': 's3cret-a' } },
        headers: {
          'x-twilio-signature': 's3cret-b',
          'x-pressos-key': 's3cret-c',
        },
        config: {
          webhookSecrets: ['s3cret-d'],
          push: { ntfyToken: 's3cret-e' },
          webPush: { privateKey: 's3cret-f' },
        },
      },
      'configured',
    )

    assert.match(log.text, /\[redacted\]/)
    assert.doesNotMatch(log.text, /s3cret/)
  })
})

describe('censoring secrets', () => {
  it('finds them in lists, in any letter case, and leaves the rest', () => {
    const log = new CapturedLog()
    const logger = createLogger('info', log)

    logger.info(
      {
        calls: [
          { headers: { Authorization: 'Bearer s3cret-g', host: 'shop' } },
          { body: { password: 's3cret-h', name: 'Rosa' } },
        ],
      },
      'sent',
    )

    assert.doesNotMatch(log.text, /s3cret/)
    const [entry] = log.entries as any[]
    assert.equal(entry.calls[0].headers.Authorization, '[redacted]')
    assert.equal(entry.calls[0].headers.host, 'shop')
    assert.equal(entry.calls[1].body.name, 'Rosa')
  })

  it('leaves the logged object itself untouched', () => {
    const logger = createLogger('info', new CapturedLog())
    const config = { push: { ntfyToken: 's3cret-i' } }

    logger.info({ config }, 'configured')

    assert.equal(config.push.ntfyToken, 's3cret-i')
  })
})

describe('logged URLs', () => {
  it('keep the names of secret query parameters but not their values', () => {
    assert.equal(
      redactUrl('/files/a.pdf?expires=17&signature=abc123&x=1'),
      '/files/a.pdf?expires=17&signature=[redacted]&x=1',
    )
    assert.equal(redactUrl('/webhooks/ping'), '/webhooks/ping')
  })

  it('keep a query with a broken percent escape as it was sent', () => {
    assert.equal(redactUrl('/webhooks/events?%'), '/webhooks/events?%')
    assert.equal(
      redactUrl('/files/a.pdf?%ZZ=1&signature=abc123'),
      '/files/a.pdf?%ZZ=1&signature=[redacted]',
    )
  })

  it('never print the signature of a file link', async () => {
    const log = new CapturedLog()
    const logger = createLogger('info', log)
    logger.info(
      {
        req: {
          method: 'GET',
          url: '/files/x?signature=f00d',
          headers: {},
          socket: {},
        },
      },
      'x',
    )

    assert.doesNotMatch(log.text, /f00d/)
  })
})
