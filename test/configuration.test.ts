import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { ConfigError } from '../src/config/env-readers.js'
import { loadConfig } from '../src/config/environment.js'
import { childEnv } from './support/child-env.js'

describe('configuration', () => {
  it('runs on the embedded database with the documented defaults', () => {
    const config = loadConfig({})

    assert.equal(config.port, 3000)
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.basePath, '')
    assert.equal(config.databaseUrl, undefined)
    assert.match(config.dataDir, /\/data$/)
    assert.equal(config.maxBodyBytes, 1_048_576)
    assert.deepEqual(config.webhookSecrets, [])
    assert.match(config.followUpRulesPath, /rules\/follow-up-rules\.yaml$/)
  })

  it('collects every webhook secret, comma-separated values included', () => {
    const config = loadConfig({
      WEBHOOK_SECRET: 'a, b',
      PRESSOS_WEBHOOK_SECRET: 'c',
      PRINTBRAIN_WEBHOOK_SECRET: ' d ,',
    })

    assert.deepEqual(config.webhookSecrets, ['a', 'b', 'c', 'd'])
  })

  it('reads METRICS_TOKEN as a list, empty when unset', () => {
    assert.deepEqual(loadConfig({}).metricsTokens, [])
    assert.deepEqual(
      loadConfig({ METRICS_TOKEN: ' old-token , new-token,' }).metricsTokens,
      ['old-token', 'new-token'],
    )
  })

  it('reads console users separated by semicolons', () => {
    const hash = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g'
    const config = loadConfig({
      CONSOLE_USERS: `ana:${hash}; ben:${hash}`,
      CONSOLE_PASSWORD: 'a shared password',
    })

    assert.deepEqual(
      config.console.users.map((user) => user.name),
      ['ana', 'ben', 'shop'],
    )
    assert.equal(config.console.users[0]?.passwordHash, hash)
  })

  it('normalises BASE_PATH and PUBLIC_BASE_URL', () => {
    const config = loadConfig({
      BASE_PATH: '/pressos/',
      PUBLIC_BASE_URL: 'https://shop.example.com/',
    })

    assert.equal(config.basePath, '/pressos')
    assert.equal(config.publicBaseUrl, 'https://shop.example.com')
  })

  const refusals: [Record<string, string>, RegExp][] = [
    [
      { PORT: 'abc' },
      /^PORT must be a whole number from 0 to 65535, got "abc"$/,
    ],
    [{ PORT: '70000' }, /^PORT must be/],
    [{ MAX_BODY_BYTES: '1.5' }, /^MAX_BODY_BYTES must be a whole number/],
    [{ BASE_PATH: 'pressos' }, /^BASE_PATH must be a path like "\/pressos"/],
    [
      { PUBLIC_BASE_URL: 'shop.example.com' },
      /^PUBLIC_BASE_URL must be an absolute/,
    ],
    [
      { PUBLIC_BASE_URL: 'ftp://shop' },
      /^PUBLIC_BASE_URL must use http or https/,
    ],
    [
      { TRUSTED_PROXIES: '10.0.0.0/33' },
      /^TRUSTED_PROXIES must list IP addresses/,
    ],
    [
      { DATABASE_URL: 'mysql://x@y/z' },
      /^DATABASE_URL must start with postgres:\/\//,
    ],
    [{ PUSH_NTFY_URL: 'not a url' }, /^PUSH_NTFY_URL must be an absolute/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ JOB_RETRY_LIMIT: '-1' }, /^JOB_RETRY_LIMIT must be a whole number/],
    [{ CONSOLE_PASSWORD: 'short' }, /^CONSOLE_PASSWORD must be at least 10/],
    [
      { CONSOLE_USERS: 'ana:plain-text-password' },
      /^CONSOLE_USERS: the password of "ana" must be an Argon2 hash/,
    ],
    [
      { CONSOLE_USERS: 'no colon here' },
      /^CONSOLE_USERS must list name:hash entries/,
    ],
  ]
  for (const [env, message] of refusals) {
    it(`refuses ${JSON.stringify(env)} naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError)
          assert.match(error.message, message)

          return true
        },
      )
    })
  }

  it('accepts proxy addresses, ranges and named ranges', () => {
    const config = loadConfig({
      TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8, ::1, fc00::/7, loopback',
    })

    assert.equal(config.trustedProxies.length, 5)
  })

  it('stops the process with one line naming a bad variable', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts'],
      { env: childEnv({ PORT: 'abc' }), encoding: 'utf8', timeout: 30_000 },
    )

    assert.equal(result.status, 1)
    assert.equal(
      result.stderr.trim(),
      'Configuration error: PORT must be a whole number from 0 to 65535, got "abc"',
    )
  })
})
