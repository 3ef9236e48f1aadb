/**
 * Requests written byte for byte to a real socket, with the framing
 * mistakes `app.inject` cannot make: whatever the parser meets, the service
 * answers with a success or a problem+json refusal, never a fault of ours,
 * stores nothing from a request without credentials, and keeps answering.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { DOORS } from '../src/doors/registry.js'
import { assertWellAnswered } from './support/answer-checks.js'
import { fuzzBudget } from './support/fuzz-budget.js'
import { rawRequest, type RawRequest } from './support/malformed-framing.js'
import { sendRaw, type RawAnswer } from './support/raw-http.js'
import { changedTables, countStoredRows } from './support/stored-rows.js'
import {
  startTestService,
  TEST_SECRET,
  type TestService,
} from './support/test-service.js'

const RUNS = 120

// What did not parse as HTTP is refused before any route sees it; every
// answer a route gives carries its request id.
function answeredByRoute(answer: RawAnswer): boolean {
  return answer.headers['x-request-id'] !== undefined
}

// The parser's refusals are problem+json too.
function assertParserRefusal(answer: RawAnswer) {
  assert.ok(
    answer.statusCode >= 400 && answer.statusCode < 500,
    `the HTTP parser answered ${answer.statusCode}`,
  )

  assert.match(answer.headers['content-type'] ?? '', /problem\+json/)
  const problem = JSON.parse(answer.body)
  assert.equal(problem.status, answer.statusCode)
  assert.ok(problem.detail, 'the refusal says what was wrong')
}

describe('raw HTTP with broken framing, on pglite', () => {
  const budget = fuzzBudget(30, 2)
  let t: TestService
  let port: number

  before(async () => {
    t = await startTestService('pglite', { env: { MAX_BODY_BYTES: '65536' } })
    await t.service.app.listen({ host: '127.0.0.1', port: 0 })
    port = (t.service.app.server.address() as AddressInfo).port
  })
  after(() => t.close())

  async function answerAndCheck(request: RawRequest) {
    const answers = await sendRaw(port, request.bytes)
    // 100 Continue is only a go-ahead; the answer follows it.
    for (const answer of answers.filter((a) => a.statusCode >= 200)) {
      if (answeredByRoute(answer)) {
        assertWellAnswered(answer, request.door, t.config, 'POST')
      } else {
        assertParserRefusal(answer)
      }
    }
    const health = await sendRaw(
      port,
      Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
    )
    assert.equal(health[0]?.statusCode, 200, 'the service stopped answering')
  }

  it('stores nothing from a raw request without credentials', async () => {
    await fc.assert(
      fc.asyncProperty(rawRequest(DOORS), async (request) => {
        const before = await countStoredRows(t.database)
        await answerAndCheck(request)
        const after = await countStoredRows(t.database)

        assert.deepEqual(changedTables(before, after), [])
      }),
      budget(RUNS),
    )
  })

  it('answers any framing with a success or a problem, never a fault', async () => {
    await fc.assert(
      fc.asyncProperty(rawRequest(DOORS, TEST_SECRET), answerAndCheck),
      budget(RUNS),
    )
  })
})
