import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { REFUSALS_KEPT_PER_DOOR } from '../src/observability/door-journal.js'
import {
  startTestService,
  TEST_SECRET,
  type TestService,
} from './support/test-service.js'

const EVENT = JSON.stringify({
  event_type: 'mockup.approved',
  source: 'MockupDesk',
})

describe('the door journal', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite')
  })
  after(() => t.close())

  const postEvent = (secret: string, body = EVENT) =>
    t.service.app.inject({
      method: 'POST',
      url: '/webhooks/events',
      headers: {
        'content-type': 'application/json',
        'x-webhook-secret': secret,
        'x-forwarded-for': '203.0.113.9',
      },
      payload: body,
    })

  it('counts answered and refused requests per door and reason', async () => {
    await postEvent(TEST_SECRET)
    await postEvent('wrong-secret')
    await postEvent('wrong-secret')
    await postEvent(TEST_SECRET, '{"event_type": ')

    const activity = await t.service.doorJournal.activity()
    const events = activity.get('webhooks.events')

    assert.ok(events, 'the events door has activity')
    assert.equal(events.answered, 1)
    assert.equal(events.refused, 3)
    assert.deepEqual(events.refusalReasons, [
      { reason: 'bad-webhook-secret', count: 2 },
      { reason: 'malformed-json', count: 1 },
    ])
    assert.ok(events.lastRequestAt instanceof Date)
    assert.ok(Date.now() - events.lastRequestAt.getTime() < 60_000)
  })

  it('keeps each refusal with its reason and headers, secrets masked', async () => {
    const [latest] =
      await t.service.doorJournal.recentRefusals('webhooks.events')

    assert.ok(latest)
    assert.equal(latest.reason, 'malformed-json')
    assert.equal(latest.status, 400)
    assert.match(latest.detail, /JSON/)
    const headers = latest.headers as Record<string, string>
    assert.equal(headers['x-webhook-secret'], '[redacted]')
    assert.ok(!JSON.stringify(latest).includes(TEST_SECRET))
    assert.equal(headers['content-type'], 'application/json')
  })

  it('keeps only the newest refusals of a door when flooded', async () => {
    const flood = REFUSALS_KEPT_PER_DOOR + 30
    for (let i = 0; i < flood; i++) {
      await t.service.app.inject({ method: 'DELETE', url: '/webhooks/ping' })
      if (i % 100 === 0) await t.service.doorJournal.flush()
    }

    const kept = await t.service.doorJournal.recentRefusals(
      'webhooks.ping',
      10_000,
    )
    const activity = await t.service.doorJournal.activity()

    assert.equal(kept.length, REFUSALS_KEPT_PER_DOOR)
    assert.equal(kept[0]!.reason, 'method-not-allowed')
    assert.equal(activity.get('webhooks.ping')?.refused, flood)
  })
})
