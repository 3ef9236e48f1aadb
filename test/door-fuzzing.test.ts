/**
 * Property-based tests of every door of the registry: whatever arrives, the
 * answer is a success or a problem+json refusal, never a fault of ours; the
 * process keeps answering; and a request that fails its door's check of
 * the caller stores nothing at all.
 *
 * They run with every secret set and Gmail and Web Push configured, so
 * that requests reach deep into the doors, and again with nothing set,
 * where signed doors are unsigned and the others closed.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import webpush from 'web-push'
import { DOORS } from '../src/doors/registry.js'
import type { Door } from '../src/doors/door.js'
import { loadPriceList } from '../src/pricing/price-list.js'
import { assertWellAnswered } from './support/answer-checks.js'
import {
  checksCallers,
  secretsEnv,
  withCredentials,
  type Credentials,
  type FuzzSecrets,
} from './support/caller-credentials.js'
import { fuzzBudget } from './support/fuzz-budget.js'
import { GmailTestServer } from './support/gmail-test-server.js'
import {
  doorRequest,
  sendDoorRequest,
  type DoorRequest,
  type RequestShape,
} from './support/malformed-requests.js'
import { changedTables, countStoredRows } from './support/stored-rows.js'
import { ENGINES, type Engine } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'

const MAX_BODY_BYTES = 64 * 1024

const SIGN_IN = {
  clientId: 'fuzz-client',
  clientSecret: 'fuzz-client-secret',
  token: 'fuzz-refresh-token',
}

interface Setting {
  name: string
  secrets: FuzzSecrets
  /** Gmail and Web Push configured too. */
  services: boolean
}

const SETTINGS: Setting[] = [
  {
    name: 'every secret set',
    secrets: {
      webhookSecret: 'fuzz-webhook-secret-4b1e',
      twilioToken: 'fuzz-twilio-token-88d0',
      signingSecret: 'fuzz-signing-secret-a7c3',
      apiKey: 'fuzz-cron-key-19f2',
    },
    services: true,
  },
  { name: 'no secret set', secrets: {}, services: false },
]

/** Cases per door and property. */
const RUNS = 80

/** Seconds all the properties of one engine and setting may take. */
const SECONDS_PER_SETTING = 25

async function startFuzzedService(
  engine: Engine,
  setting: Setting,
  dataDir: string,
  gmail: GmailTestServer,
): Promise<TestService> {
  const services = setting.services ? await servicesEnv(gmail) : {}

  return startTestService(engine, {
    env: {
      WEBHOOK_SECRET: undefined,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      DATA_DIR: dataDir,
      ...secretsEnv(setting.secrets),
      ...services,
    },
  })
}

async function servicesEnv(gmail: GmailTestServer) {
  const { rootUrl, tokenUrl } = await gmail.start()
  const vapid = webpush.generateVAPIDKeys()

  return {
    GMAIL_CLIENT_ID: SIGN_IN.clientId,
    GMAIL_CLIENT_SECRET: SIGN_IN.clientSecret,
    GMAIL_REFRESH_TOKEN: SIGN_IN.token,
    GMAIL_API_ROOT_URL: rootUrl,
    GOOGLE_OAUTH_TOKEN_URL: tokenUrl,
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:fuzz@shop.example',
  }
}

/** Error lines logged about request `requestId`, from line `from` on. */
function faultsLogged(
  t: TestService,
  from: number,
  requestId: unknown,
): string[] {
  return t.log.lines
    .slice(from)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.reqId === requestId)
    .filter((entry) => Number(entry.level) >= 50)
    .map((entry) => `${String(entry.msg)}: ${JSON.stringify(entry.err)}`)
}

async function answerAndCheck(
  t: TestService,
  door: Door,
  request: DoorRequest,
) {
  const logged = t.log.lines.length
  const answer = await sendDoorRequest(t, request)
  const faults = faultsLogged(t, logged, answer.headers['x-request-id'])
  assertWellAnswered(answer, door, t.config, request.method, faults)
  assert.deepEqual(faults, [], 'the service logged a fault of its own')

  return answer
}

// Mostly the right credentials, so that requests reach the door's own
// checks; the refusals of the rest are the other property's business.
const CHECKS_BY_CREDENTIALS = fc.constantFrom<Credentials>(
  'valid',
  'valid',
  'valid',
  'valid',
  'valid',
  'wrong',
  'missing',
)

for (const engine of ENGINES) {
  for (const setting of SETTINGS) {
    describe(`every door, ${setting.name}, on ${engine}`, () => {
      const gmail = new GmailTestServer({ refreshToken: SIGN_IN })
      const dataDir = mkdtempSync(path.join(tmpdir(), 'pressos-fuzz-'))
      const guarded = DOORS.filter((door) =>
        checksCallers(door, setting.secrets),
      )
      const budget = fuzzBudget(
        SECONDS_PER_SETTING,
        guarded.length + DOORS.length,
      )
      let t: TestService
      let shape: RequestShape

      // Requests to `door`, each carrying credentials of the kind drawn.
      const requestsTo = (door: Door, credentials: fc.Arbitrary<Credentials>) =>
        credentials.chain((kind) =>
          withCredentials(
            doorRequest(door, shape),
            door,
            setting.secrets,
            kind,
          ),
        )

      before(async () => {
        t = await startFuzzedService(engine, setting, dataDir, gmail)
        shape = {
          priceList: loadPriceList(t.config.priceListPath),
          maxBodyBytes: MAX_BODY_BYTES,
        }
      })
      after(async () => {
        await t.close()
        if (setting.services) await gmail.stop()
        rmSync(dataDir, { recursive: true, force: true })
      })

      // First, while nothing was accepted yet and no follow-up work runs
      // in the background, so that any new row is the request's own.
      for (const door of guarded) {
        it(`${door.id}: stores nothing from a request without valid credentials`, async () => {
          const requests = requestsTo(
            door,
            fc.constantFrom<Credentials>('wrong', 'missing'),
          )

          await fc.assert(
            fc.asyncProperty(requests, async (request) => {
              const before = await countStoredRows(t.database)
              const answer = await answerAndCheck(t, door, request)
              const after = await countStoredRows(t.database)

              assert.ok(
                answer.statusCode >= 400,
                `refused credentials were answered ${answer.statusCode}`,
              )
              assert.deepEqual(changedTables(before, after), [])
            }),
            budget(RUNS),
          )
        })
      }

      for (const door of DOORS) {
        it(`${door.id}: answers anything with a success or a problem, never a fault`, async () => {
          const requests = requestsTo(door, CHECKS_BY_CREDENTIALS)

          await fc.assert(
            fc.asyncProperty(requests, async (request) => {
              await answerAndCheck(t, door, request)
            }),
            budget(RUNS),
          )
        })
      }

      it('still answers /healthz and /readyz after all of it', async () => {
        const health = await t.service.app.inject({ url: '/healthz' })
        const ready = await t.service.app.inject({ url: '/readyz' })

        assert.equal(health.statusCode, 200)
        assert.equal(ready.statusCode, 200)
      })
    })
  }
}
