import assert from 'node:assert/strict'
import { createHmac, randomUUID } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import { sign } from '@octokit/webhooks-methods'
import { ENGINES, query, resetTables } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'

const SECRET = 'printbrain-signing-secret'

/** A raw body that JSON re-serialisation would change. */
const RAW_INSIGHT =
  '{ "title":  "Reorder navy blanks for Lincoln High \\u00e9",\n' +
  '  "source": "printbrain", "confidence": 0.90, "kind": "inventory",\n' +
  '  "links": ["https://printbrain.example/i/77"], "tags": ["blanks"],\n' +
  '  "graph_node": { "id": "node-42", "label": "Lincoln High" } }'

function nodeSignature(body: string, secret = SECRET): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex')
}

function postInsight(
  t: TestService,
  body: string,
  headers: Record<string, string> = {},
) {
  return t.service.app.inject({
    method: 'POST',
    url: '/api/inbox/insights',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      ...headers,
    },
    payload: body,
  })
}

async function inboxCount(t: TestService): Promise<number> {
  return (await query(t.database, 'select 1 from inbox_items')).length
}

for (const engine of ENGINES) {
  describe(`POST /api/inbox/insights on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        env: { PRINTBRAIN_WEBHOOK_SECRET: `old-secret,${SECRET}` },
      })
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('puts a signed insight in the inbox, linked to its graph node', async () => {
      const response = await postInsight(t, RAW_INSIGHT, {
        'x-printbrain-signature': nodeSignature(RAW_INSIGHT),
      })

      assert.equal(response.statusCode, 201)
      const { item } = response.json()
      assert.equal(item.title, 'Reorder navy blanks for Lincoln High é')
      assert.equal(item.graphNodeId, 'node-42')
      assert.equal(item.graphNodeLabel, 'Lincoln High')
      assert.equal(item.confidence, 0.9)
      assert.equal(item.status, 'new')
      assert.deepEqual(item.links, [{ url: 'https://printbrain.example/i/77' }])
      assert.equal(await inboxCount(t), 1)
    })

    it('accepts a signature made by a GitHub-style webhook library', async () => {
      const response = await postInsight(t, RAW_INSIGHT, {
        'x-signature': await sign(SECRET, RAW_INSIGHT),
      })

      assert.equal(response.statusCode, 201)
    })

    it('accepts the older secret while secrets rotate', async () => {
      const response = await postInsight(t, RAW_INSIGHT, {
        'x-signature': nodeSignature(RAW_INSIGHT, 'old-secret'),
      })

      assert.equal(response.statusCode, 201)
    })

    it('refuses a signature over a re-serialised body with 401', async () => {
      const reserialised = JSON.stringify(JSON.parse(RAW_INSIGHT))
      const response = await postInsight(t, RAW_INSIGHT, {
        'x-printbrain-signature': nodeSignature(reserialised),
      })

      assert.equal(response.statusCode, 401)
      assert.match(response.json().detail, /exact bytes/)
      assert.equal(await inboxCount(t), 0)
    })

    it('refuses a missing signature with 401 naming the headers', async () => {
      const response = await postInsight(t, RAW_INSIGHT)

      assert.equal(response.statusCode, 401)
      assert.match(
        response.json().detail,
        /X-PrintBrain-Signature or X-Signature/,
      )
      assert.equal(await inboxCount(t), 0)
    })

    it('refuses a signature made with another secret with 401', async () => {
      const response = await postInsight(t, RAW_INSIGHT, {
        'x-signature': nodeSignature(RAW_INSIGHT, 'guess'),
      })

      assert.equal(response.statusCode, 401)
      assert.equal(await inboxCount(t), 0)
    })

    it('refuses a request without Idempotency-Key with 400', async () => {
      const response = await t.service.app.inject({
        method: 'POST',
        url: '/api/inbox/insights',
        headers: {
          'content-type': 'application/json',
          'x-signature': nodeSignature(RAW_INSIGHT),
        },
        payload: RAW_INSIGHT,
      })

      assert.equal(response.statusCode, 400)
      assert.match(response.json().detail, /Idempotency-Key/)
      assert.equal(await inboxCount(t), 0)
    })

    it('refuses an invalid insight with 422 naming each field', async () => {
      const body = JSON.stringify({
        title: '',
        source: 'printbrain',
        confidence: 1.5,
        links: ['ftp://x'],
      })
      const response = await postInsight(t, body, {
        'x-signature': nodeSignature(body),
      })

      assert.equal(response.statusCode, 422)
      const fields = response
        .json()
        .errors.map((e: { field: string }) => e.field)
      assert.deepEqual(fields.sort(), ['confidence', 'links.0', 'title'])
      assert.equal(await inboxCount(t), 0)
    })

    it('replays the stored answer for the same key and body, doing nothing twice', async () => {
      const headers = {
        'x-signature': nodeSignature(RAW_INSIGHT),
        'idempotency-key': 'insight-77',
      }
      const first = await postInsight(t, RAW_INSIGHT, headers)
      const second = await postInsight(t, RAW_INSIGHT, headers)

      assert.equal(second.statusCode, first.statusCode)
      assert.equal(second.body, first.body)
      assert.equal(second.headers['idempotent-replayed'], 'true')
      assert.equal(first.headers['idempotent-replayed'], undefined)
      assert.equal(await inboxCount(t), 1)
    })

    it('refuses the same key with another body with 422', async () => {
      const other = RAW_INSIGHT.replace('navy', 'black')
      await postInsight(t, RAW_INSIGHT, {
        'x-signature': nodeSignature(RAW_INSIGHT),
        'idempotency-key': 'insight-78',
      })
      const response = await postInsight(t, other, {
        'x-signature': nodeSignature(other),
        'idempotency-key': 'insight-78',
      })

      assert.equal(response.statusCode, 422)
      assert.equal(
        response.json().type.endsWith('idempotency-key-reused'),
        true,
      )
      assert.equal(await inboxCount(t), 1)
    })

    it('lists inbox items and moves one to done', async () => {
      const created = await postInsight(t, RAW_INSIGHT, {
        'x-signature': nodeSignature(RAW_INSIGHT),
      })
      const id = created.json().item.id

      const moved = await t.service.app.inject({
        method: 'PATCH',
        url: `/api/inbox/${id}`,
        headers: { 'content-type': 'application/json' },
        payload: { status: 'done' },
      })
      const open = await t.service.app.inject({ url: '/api/inbox?status=new' })
      const done = await t.service.app.inject({ url: '/api/inbox?status=done' })

      assert.equal(moved.statusCode, 200)
      assert.equal(moved.json().item.status, 'done')
      assert.deepEqual(open.json().items, [])
      assert.deepEqual(
        done.json().items.map((item: { id: number }) => item.id),
        [id],
      )
    })

    it('refuses an unknown inbox status with 422', async () => {
      const response = await t.service.app.inject({
        method: 'PATCH',
        url: '/api/inbox/1',
        headers: { 'content-type': 'application/json' },
        payload: { status: 'archived' },
      })

      assert.equal(response.statusCode, 422)
      assert.match(response.json().detail, /new, seen, done, dismissed/)
    })
  })
}

describe('POST /api/inbox/insights with no secret set', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite')
  })
  after(() => t.close())

  it('is open, as the page says, and still needs an Idempotency-Key', async () => {
    const accepted = await postInsight(t, RAW_INSIGHT)
    const keyless = await t.service.app.inject({
      method: 'POST',
      url: '/api/inbox/insights',
      headers: { 'content-type': 'application/json' },
      payload: RAW_INSIGHT,
    })

    assert.equal(accepted.statusCode, 201)
    assert.equal(keyless.statusCode, 400)
  })
})
