import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import pino from 'pino'
import { installProblemHandlers } from '../src/http/problem.js'
import type { Backlog } from '../src/observability/backlog.js'
import { ServiceMetrics } from '../src/observability/metrics.js'
import { metricsRoute } from '../src/observability/metrics-route.js'
import {
  parseExposition,
  samplesOf,
  valueOf,
  type Exposition,
} from './support/exposition.js'
import { ENGINES, query, resetTables } from './support/test-database.js'
import {
  CapturedLog,
  startTestService,
  TEST_SECRET,
  type TestService,
  waitFor,
} from './support/test-service.js'

const METRICS_TOKEN = 'metrics-token-5b21e7'
const OLD_METRICS_TOKEN = 'metrics-token-retiring'
const EVENTS_DOOR = 'webhooks.events'

function scrape(
  app: FastifyInstance,
  headers: Record<string, string> = {},
  url = '/pressos/metrics',
) {
  return app.inject({ method: 'GET', url, headers })
}

async function scrapeParsed(app: FastifyInstance): Promise<Exposition> {
  const response = await scrape(app, {
    authorization: `Bearer ${METRICS_TOKEN}`,
  })
  assert.equal(response.statusCode, 200, response.body)

  return parseExposition(response.body)
}

function postEvent(app: FastifyInstance, secret: string) {
  return app.inject({
    method: 'POST',
    url: '/pressos/webhooks/events',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': secret },
    payload: JSON.stringify({
      event_type: 'lead.new_inquiry',
      source: 'mockupdesk',
      work_order_id: 'WO-2210',
    }),
  })
}

function assertUnauthorized(response: {
  statusCode: number
  headers: Record<string, unknown>
  json(): any
}) {
  assert.equal(response.statusCode, 401)
  assert.match(
    String(response.headers['content-type']),
    /^application\/problem\+json/,
  )
  assert.match(String(response.headers['www-authenticate']), /^Bearer /)
  const problem = response.json()
  assert.equal(problem.status, 401)
  assert.match(problem.type, /metrics-unauthorized$/)

  return problem
}

for (const engine of ENGINES) {
  describe(`GET /metrics on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        env: {
          BASE_PATH: '/pressos',
          METRICS_TOKEN: `${OLD_METRICS_TOKEN}, ${METRICS_TOKEN}`,
        },
      })
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('refuses a scrape without a token, saying what to send', async () => {
      const response = await scrape(t.service.app)

      const problem = assertUnauthorized(response)
      assert.match(problem.detail, /bearer token configured in METRICS_TOKEN/)
      assert.match(problem.detail, /sign in to the console/)
    })

    it('refuses a wrong token, and a token sent another way', async () => {
      const wrong = await scrape(t.service.app, {
        authorization: 'Bearer not-the-metrics-token',
      })
      const basic = await scrape(t.service.app, {
        authorization: `Basic ${METRICS_TOKEN}`,
      })

      assert.match(assertUnauthorized(wrong).detail, /does not match/)
      assert.match(assertUnauthorized(basic).detail, /METRICS_TOKEN/)
    })

    it('answers the right token in the Prometheus text format', async () => {
      const response = await scrape(t.service.app, {
        authorization: `Bearer ${METRICS_TOKEN}`,
      })

      assert.equal(response.statusCode, 200)
      assert.match(
        String(response.headers['content-type']),
        /^text\/plain; version=0\.0\.4/,
      )
      assert.equal(response.headers['cache-control'], 'no-store')
      const metrics = parseExposition(response.body)
      assert.equal(metrics.types.get('pressos_door_requests_total'), 'counter')
      assert.equal(metrics.types.get('pressos_door_refusals_total'), 'counter')
      assert.equal(
        metrics.types.get('pressos_door_request_duration_seconds'),
        'histogram',
      )
      assert.equal(metrics.types.get('process_cpu_seconds_total'), 'counter')
      assert.ok(samplesOf(metrics, 'nodejs_heap_size_used_bytes').length > 0)
    })

    it('accepts every token listed while rotating', async () => {
      const response = await scrape(t.service.app, {
        authorization: `bearer ${OLD_METRICS_TOKEN}`,
      })

      assert.equal(response.statusCode, 200)
    })

    it('answers only under BASE_PATH', async () => {
      const response = await scrape(
        t.service.app,
        { authorization: `Bearer ${METRICS_TOKEN}` },
        '/metrics',
      )

      assert.equal(response.statusCode, 404)
    })

    it('counts an accepted and a refused event by door, status and reason', async () => {
      const door = { door: EVENTS_DOOR }
      const before = await scrapeParsed(t.service.app)

      assert.equal(
        (await postEvent(t.service.app, TEST_SECRET)).statusCode,
        202,
      )
      assert.equal((await postEvent(t.service.app, 'guess')).statusCode, 401)

      const after = await scrapeParsed(t.service.app)
      const grew = (name: string, labels: Record<string, string>) =>
        valueOf(after, name, labels) - valueOf(before, name, labels)
      assert.equal(
        grew('pressos_door_requests_total', { ...door, status: '202' }),
        1,
      )
      assert.equal(
        grew('pressos_door_requests_total', { ...door, status: '401' }),
        1,
      )
      assert.equal(
        grew('pressos_door_refusals_total', {
          ...door,
          reason: 'bad-webhook-secret',
        }),
        1,
      )
      assert.deepEqual(
        samplesOf(after, 'pressos_door_refusals_total', door).map(
          (sample) => sample.labels.reason,
        ),
        ['bad-webhook-secret'],
        'an accepted event is no refusal',
      )
      assert.equal(grew('pressos_door_request_duration_seconds_count', door), 2)
      assert.equal(
        grew('pressos_door_request_duration_seconds_bucket', {
          ...door,
          le: '5',
        }),
        2,
        'both took less than five seconds',
      )
      assert.ok(grew('pressos_door_request_duration_seconds_sum', door) > 0)
    })

    it('shows the depth of each job queue in each state', async () => {
      const metrics = await scrapeParsed(t.service.app)

      assert.equal(metrics.types.get('pressos_job_queue_depth'), 'gauge')
      const depths = samplesOf(metrics, 'pressos_job_queue_depth', {
        queue: 'follow-up-rule-run',
      })
      assert.deepEqual(depths.map((sample) => sample.labels.state).sort(), [
        'active',
        'created',
        'failed',
        'retry',
      ])
      for (const sample of depths) assert.ok(Number.isInteger(sample.value))
    })

    it('counts follow-up rule runs by status as stored', async () => {
      assert.equal(
        (await postEvent(t.service.app, TEST_SECRET)).statusCode,
        202,
      )
      const stored = await waitFor(async () => {
        const rows = await query<{ status: string; runs: number }>(
          t.database,
          `select status, count(*)::int as runs from rule_runs
           group by status`,
        )
        const busy = rows.some((row) => row.status !== 'done')

        return rows.length > 0 && !busy && rows
      }, 'the rule runs of the event to finish')

      const metrics = await scrapeParsed(t.service.app)
      const runs = samplesOf(metrics, 'pressos_follow_up_rule_runs')
      assert.equal(runs.length, 5, 'one sample for each status')
      for (const status of ['queued', 'running', 'retrying', 'failed']) {
        assert.equal(
          valueOf(metrics, 'pressos_follow_up_rule_runs', { status }),
          0,
        )
      }
      assert.equal(
        valueOf(metrics, 'pressos_follow_up_rule_runs', { status: 'done' }),
        stored[0]!.runs,
      )
    })

    it('counts the rule runs still waiting for their job', async () => {
      const { sql } = await import('drizzle-orm')
      const waiting = () =>
        scrapeParsed(t.service.app).then((metrics) =>
          valueOf(metrics, 'pressos_follow_up_rule_runs_without_job', {}),
        )
      // With the job queue's table away, the relay cannot queue the job.
      await t.database.orm.execute(
        sql`alter table pgboss.job rename to job_aside`,
      )
      try {
        await postEvent(t.service.app, TEST_SECRET)
        assert.ok((await waiting()) > 0, 'the rule run waits for its job')
      } finally {
        await t.database.orm.execute(
          sql`alter table pgboss.job_aside rename to job`,
        )
      }

      await waitFor(async () => (await waiting()) === 0, 'the job queued')
    })

    it('never writes a metrics token to the log', async () => {
      await scrape(t.service.app, { authorization: `Bearer ${METRICS_TOKEN}` })
      await scrape(t.service.app, { authorization: 'Bearer wrong-one-93' })

      assert.ok(!t.log.text.includes(METRICS_TOKEN))
      assert.ok(!t.log.text.includes(OLD_METRICS_TOKEN))
      assert.ok(!t.log.text.includes('wrong-one-93'))
    })
  })
}

const EMPTY_BACKLOG: Backlog = {
  countJobs: async () => [],
  countRuleRuns: async () => [],
  countRuleRunsWithoutJob: async () => 0,
}

interface SignInStub {
  isSignedIn: (request: {
    headers: Record<string, unknown>
  }) => Promise<boolean>
  asked: number
}

// The console sets a session cookie; here, one fixed value stands for it.
function signInStub(): SignInStub {
  const stub: SignInStub = {
    asked: 0,
    isSignedIn: async (request) => {
      stub.asked += 1

      return request.headers.cookie === 'pressos_session=signed-in'
    },
  }

  return stub
}

async function metricsApp(
  tokens: string[],
  signIn: SignInStub,
  backlog: Backlog = EMPTY_BACKLOG,
  log = new CapturedLog(),
): Promise<FastifyInstance> {
  const logger = pino({ level: 'debug' }, log)
  const app = Fastify({ loggerInstance: logger }) as unknown as FastifyInstance
  installProblemHandlers(app)
  const metrics = new ServiceMetrics(backlog, logger)
  await metricsRoute({
    metrics,
    basePath: '',
    tokens,
    isSignedIn: signIn.isSignedIn,
  })(app)

  return app
}

describe('GET /metrics for console users', () => {
  it('lets a signed-in user in without a token', async () => {
    const app = await metricsApp([METRICS_TOKEN], signInStub())

    const response = await scrape(
      app,
      { cookie: 'pressos_session=signed-in' },
      '/metrics',
    )

    assert.equal(response.statusCode, 200)
  })

  it('lets a signed-in user in even with a wrong token', async () => {
    const app = await metricsApp([METRICS_TOKEN], signInStub())

    const response = await scrape(
      app,
      { cookie: 'pressos_session=signed-in', authorization: 'Bearer nope' },
      '/metrics',
    )

    assert.equal(response.statusCode, 200)
  })

  it('does not ask about a session when the token matches', async () => {
    const signIn = signInStub()
    const app = await metricsApp([METRICS_TOKEN], signIn)

    const response = await scrape(
      app,
      { authorization: `Bearer ${METRICS_TOKEN}` },
      '/metrics',
    )

    assert.equal(response.statusCode, 200)
    assert.equal(signIn.asked, 0)
  })

  it('with METRICS_TOKEN unset, refuses everyone not signed in', async () => {
    const app = await metricsApp([], signInStub())

    const anonymous = await scrape(app, {}, '/metrics')
    const withToken = await scrape(
      app,
      { authorization: 'Bearer anything' },
      '/metrics',
    )
    const signedIn = await scrape(
      app,
      { cookie: 'pressos_session=signed-in' },
      '/metrics',
    )

    assert.match(
      assertUnauthorized(anonymous).detail,
      /METRICS_TOKEN is not set/,
    )
    assertUnauthorized(withToken)
    assert.equal(signedIn.statusCode, 200)
  })

  it('still answers when the backlog cannot be counted, and says why', async () => {
    const log = new CapturedLog()
    const broken: Backlog = {
      countJobs: async () => {
        throw new Error('connection refused')
      },
      countRuleRuns: async () => [{ status: 'done', runs: 3 }],
      countRuleRunsWithoutJob: async () => 0,
    }
    const app = await metricsApp([METRICS_TOKEN], signInStub(), broken, log)

    const response = await scrape(
      app,
      { authorization: `Bearer ${METRICS_TOKEN}` },
      '/metrics',
    )

    assert.equal(response.statusCode, 200)
    const metrics = parseExposition(response.body)
    assert.deepEqual(samplesOf(metrics, 'pressos_job_queue_depth'), [])
    assert.equal(
      valueOf(metrics, 'pressos_follow_up_rule_runs', { status: 'done' }),
      3,
    )
    const warning = log.entries.find((entry) => entry.level === 40)
    assert.match(String(warning?.msg), /could not count the job queues/)
  })
})
