import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { hash } from '@node-rs/argon2'
import { CONSOLE_TEST_PASSWORD, signIn } from './support/console-session.js'
import { startTestService, type TestService } from './support/test-service.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

describe('signing in to the console', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite', {
      env: {
        BASE_PATH: '/pressos',
        CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD,
        CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE: '4',
        TRUSTED_PROXIES: '127.0.0.1',
      },
    })
  })
  after(() => t.close())

  const attempt = (password: string, address = '127.0.0.1') =>
    t.service.app.inject({
      method: 'POST',
      url: '/pressos/console/sign-in',
      headers: FORM,
      remoteAddress: address,
      payload: new URLSearchParams({ name: 'shop', password }).toString(),
    })

  it('sends a browser without a session to the sign-in page', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/console?type=x',
      headers: { accept: 'text/html' },
    })

    assert.equal(response.statusCode, 303)
    assert.equal(
      response.headers.location,
      '/pressos/console/sign-in?next=%2Fpressos%2Fconsole%3Ftype%3Dx',
    )
  })

  it('refuses scripts without a session with a problem', async () => {
    const response = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/console',
    })

    assert.equal(response.statusCode, 401)
    assert.match(
      String(response.headers['content-type']),
      /^application\/problem\+json/,
    )
    assert.match(response.json().detail, /Sign in at \/pressos\/console/)
  })

  it('keeps the console scripts behind the sign-in, not the stylesheet', async () => {
    const script = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/console/scripts/console.css',
    })
    const style = await t.service.app.inject({
      method: 'GET',
      url: '/pressos/console/assets/console.css',
    })

    assert.equal(script.statusCode, 401)
    assert.equal(style.statusCode, 200)
  })

  it('refuses a wrong password without a cookie', async () => {
    const response = await attempt('not the password', '10.1.1.1')

    assert.equal(response.statusCode, 401)
    assert.equal(response.headers['set-cookie'], undefined)
    assert.match(response.body, /do not match/)
  })

  it('signs in with an HttpOnly, SameSite session cookie', async () => {
    const response = await attempt(CONSOLE_TEST_PASSWORD, '10.1.1.2')
    const cookie = String(response.headers['set-cookie'])

    assert.equal(response.statusCode, 303)
    assert.equal(response.headers.location, '/pressos/console/webhooks')
    assert.match(cookie, /^pressos_console=[\w-]{43};/)
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Lax/)
    assert.match(cookie, /Path=\/pressos/)
    assert.doesNotMatch(cookie, /Secure/)
  })

  it('marks the cookie Secure when the sign-in came over HTTPS', async () => {
    const response = await t.service.app.inject({
      method: 'POST',
      url: '/pressos/console/sign-in',
      headers: { ...FORM, 'x-forwarded-proto': 'https' },
      remoteAddress: '127.0.0.1',
      payload: new URLSearchParams({
        name: 'shop',
        password: CONSOLE_TEST_PASSWORD,
      }).toString(),
    })

    assert.equal(response.statusCode, 303)
    assert.match(String(response.headers['set-cookie']), /; Secure/)
  })

  it('refuses a change without the CSRF token, and takes one with it', async () => {
    const browser = await signIn(t.service.app, '/pressos')

    const without = await browser.request({
      method: 'POST',
      url: '/pressos/console/sign-out',
      headers: FORM,
      payload: '',
    })
    const stillIn = await browser.request({
      method: 'GET',
      url: '/pressos/console',
    })
    assert.equal(without.statusCode, 303)
    assert.equal(stillIn.statusCode, 303, 'still signed in')

    await browser.request({
      method: 'POST',
      url: '/pressos/console/sign-out',
      headers: FORM,
      payload: new URLSearchParams({ _csrf: browser.csrf }).toString(),
    })
    const out = await browser.request({
      method: 'GET',
      url: '/pressos/console',
    })
    assert.equal(out.statusCode, 401, 'signed out')
  })

  it('limits sign-in attempts per address', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      statuses.push((await attempt('guess ' + i, '192.0.2.50')).statusCode)
    }
    const elsewhere = await attempt(CONSOLE_TEST_PASSWORD, '192.0.2.51')

    assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429])
    assert.equal(elsewhere.statusCode, 303)
  })
})

describe('console users with Argon2 hashes', () => {
  let t: TestService

  before(async () => {
    const ana = await hash('ana-has-a-long-password')
    t = await startTestService('pglite', {
      env: { CONSOLE_USERS: `ana:${ana}` },
    })
  })
  after(() => t.close())

  const attempt = (name: string, password: string) =>
    t.service.app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: FORM,
      payload: new URLSearchParams({ name, password }).toString(),
    })

  it('signs in a configured user with her password only', async () => {
    assert.equal(
      (await attempt('ana', 'ana-has-a-long-password')).statusCode,
      303,
    )
    assert.equal(
      (await attempt('ana', 'ana-has-a-long-passwort')).statusCode,
      401,
    )
    assert.equal(
      (await attempt('bob', 'ana-has-a-long-password')).statusCode,
      401,
    )
  })
})

describe('a console with no users', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite')
  })
  after(() => t.close())

  it('says how to open it and lets no one in', async () => {
    const page = await t.service.app.inject({
      method: 'GET',
      url: '/console/sign-in',
    })
    const attempt = await t.service.app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: FORM,
      payload: 'name=shop&password=anything-at-all',
    })

    assert.match(page.body, /CONSOLE_PASSWORD/)
    assert.equal(attempt.statusCode, 401)
  })
})

describe('the metrics of a signed-in console user', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite', {
      env: { CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD, METRICS_TOKEN: 'scrape' },
    })
  })
  after(() => t.close())

  it('are readable with the session cookie instead of the token', async () => {
    const browser = await signIn(t.service.app)
    const signedIn = await browser.request({ method: 'GET', url: '/metrics' })
    const stranger = await t.service.app.inject({
      method: 'GET',
      url: '/metrics',
    })

    assert.equal(signedIn.statusCode, 200)
    assert.match(signedIn.body, /^# HELP pressos_door_requests_total/m)
    assert.equal(stranger.statusCode, 401)
  })
})
