/**
 * Idempotency-Key for any door, after the IETF draft "The Idempotency-Key
 * HTTP Header Field" and Stripe's practice. The first request with a key
 * runs; its answer is stored with a fingerprint of its body. A repeat with
 * the same body gets that answer again (`Idempotent-Replayed: true`), with
 * another body 422, and while the first is still running 409. The claim on
 * a key is a row in PostgreSQL, so this holds across server processes.
 */
import { createHash } from 'node:crypto'
import { and, eq, lt, sql } from 'drizzle-orm'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Orm } from '../storage/database.js'
import { idempotencyKeys } from '../storage/schema.js'
import { readIdempotencyKey } from './idempotency-key.js'
import { HttpProblem, problemBody } from './problem.js'

/** How a door keeps its keys. */
export interface IdempotencyPolicy {
  /** The door the keys belong to; keys of different doors never meet. */
  door: string
  /** How long a key and its answer are kept, in hours. */
  ttlHours: number
  /**
   * After how long a request that never finished (its process died) gives
   * its key up to a repeat, in seconds.
   */
  abandonAfterSeconds?: number
}

/** What a door answers: a status and a JSON body. */
export interface DoorAnswer {
  status: number
  body: unknown
}

type KeyRow = typeof idempotencyKeys.$inferSelect

const DEFAULT_ABANDON_SECONDS = 300

/**
 * Answers `request` by running `perform` once per Idempotency-Key. The work
 * `perform` does in its transaction commits together with the stored
 * answer, so a key is never marked done for work that did not happen.
 *
 * @throws HttpProblem 400 without a usable key, 422 for a key reused with
 *   another body, 409 while the key's first request is still running.
 */
export async function answerIdempotently(
  request: FastifyRequest,
  reply: FastifyReply,
  orm: Orm,
  policy: IdempotencyPolicy,
  perform: (tx: Orm) => Promise<DoorAnswer>,
): Promise<FastifyReply> {
  const key = requireIdempotencyKey(request)
  const fingerprint = createHash('sha256')
    .update(request.rawBody ?? Buffer.alloc(0))
    .digest('hex')

  const earlier = await claimKey(orm, policy, key, fingerprint)
  if (earlier) return replay(reply, earlier, fingerprint)

  const answer = await runOnce(request, orm, policy, key, perform)

  return reply
    .code(answer.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(answer.body))
}

/** Deletes the keys whose time is up; returns how many went. */
export async function pruneIdempotencyKeys(orm: Orm): Promise<number> {
  const gone = await orm
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.expiresAt, sql`now()`))
    .returning({ key: idempotencyKeys.key })

  return gone.length
}

/**
 * The request's Idempotency-Key, for doors that check it before anything
 * else.
 *
 * @throws HttpProblem 400 when it is missing or malformed.
 */
export function requireIdempotencyKey(request: FastifyRequest): string {
  const key = readIdempotencyKey(request)
  if (key === undefined) {
    throw new HttpProblem(
      400,
      'missing-idempotency-key',
      'Idempotency-Key required',
      'This door runs each request once per Idempotency-Key header. Send ' +
        'a new unique value (a UUID, say) with each new request, and the ' +
        'same value when you retry it.',
    )
  }

  return key
}

/**
 * Claims `key` for this request. Returns undefined when the claim holds,
 * else the row of the request that holds the key.
 */
async function claimKey(
  orm: Orm,
  policy: IdempotencyPolicy,
  key: string,
  fingerprint: string,
): Promise<KeyRow | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await insertClaim(orm, policy, key, fingerprint)) return undefined

    const [row] = await orm
      .select()
      .from(idempotencyKeys)
      .where(keyIs(policy.door, key))
    if (row) return row
    // The holder gave the key up in between; try to claim it again.
  }

  throw new Error(`could not claim Idempotency-Key for ${policy.door}`)
}

async function insertClaim(
  orm: Orm,
  policy: IdempotencyPolicy,
  key: string,
  fingerprint: string,
): Promise<boolean> {
  const abandon = policy.abandonAfterSeconds ?? DEFAULT_ABANDON_SECONDS
  const claimed = await orm
    .insert(idempotencyKeys)
    .values({
      door: policy.door,
      key,
      bodySha256: fingerprint,
      state: 'processing',
      expiresAt: sql`now() + make_interval(hours => ${policy.ttlHours})`,
    })
    .onConflictDoUpdate({
      target: [idempotencyKeys.door, idempotencyKeys.key],
      set: {
        bodySha256: sql`excluded.body_sha256`,
        state: 'processing',
        responseStatus: null,
        responseBody: null,
        responseType: null,
        lockedAt: sql`now()`,
        expiresAt: sql`excluded.expires_at`,
        createdAt: sql`now()`,
      },
      // A key whose time is up is free again; so is one whose request
      // died before it finished, for a repeat of the same body.
      setWhere: sql`${idempotencyKeys.expiresAt} < now()
        or (${idempotencyKeys.state} = 'processing'
          and ${idempotencyKeys.bodySha256} = excluded.body_sha256
          and ${idempotencyKeys.lockedAt}
            < now() - make_interval(secs => ${abandon}))`,
    })
    .returning({ key: idempotencyKeys.key })

  return claimed.length > 0
}

function replay(reply: FastifyReply, earlier: KeyRow, fingerprint: string) {
  if (earlier.bodySha256 !== fingerprint) {
    throw new HttpProblem(
      422,
      'idempotency-key-reused',
      'Idempotency-Key reused with a different body',
      'This Idempotency-Key was first sent with another body. Use a new ' +
        'key for a new request, or resend the first body unchanged.',
    )
  }
  if (earlier.state !== 'done') {
    throw new HttpProblem(
      409,
      'idempotency-key-in-use',
      'A request with this Idempotency-Key is still running',
      'The first request with this key has not finished yet. Wait a ' +
        'moment and send it again to get its answer.',
      {},
      { 'retry-after': '1' },
    )
  }

  return reply
    .code(earlier.responseStatus!)
    .header('idempotent-replayed', 'true')
    .type(earlier.responseType!)
    .send(earlier.responseBody)
}

async function runOnce(
  request: FastifyRequest,
  orm: Orm,
  policy: IdempotencyPolicy,
  key: string,
  perform: (tx: Orm) => Promise<DoorAnswer>,
): Promise<DoorAnswer> {
  try {
    return await orm.transaction(async (tx) => {
      const answer = await perform(tx)
      await storeAnswer(tx, policy.door, key, {
        status: answer.status,
        body: JSON.stringify(answer.body),
        type: 'application/json; charset=utf-8',
      })

      return answer
    })
  } catch (error) {
    await settleFailure(request, orm, policy.door, key, error)
    throw error
  }
}

// A refusal of the request itself is its answer, and a repeat gets it
// again; after a fault of ours the key is given up so that a retry runs.
async function settleFailure(
  request: FastifyRequest,
  orm: Orm,
  door: string,
  key: string,
  error: unknown,
) {
  if (error instanceof HttpProblem && error.status < 500) {
    await storeAnswer(orm, door, key, {
      status: error.status,
      body: JSON.stringify(problemBody(request, error)),
      type: 'application/problem+json; charset=utf-8',
    })

    return
  }

  await orm
    .delete(idempotencyKeys)
    .where(and(keyIs(door, key), eq(idempotencyKeys.state, 'processing')))
}

async function storeAnswer(
  orm: Orm,
  door: string,
  key: string,
  answer: { status: number; body: string; type: string },
) {
  await orm
    .update(idempotencyKeys)
    .set({
      state: 'done',
      responseStatus: answer.status,
      responseBody: answer.body,
      responseType: answer.type,
    })
    .where(keyIs(door, key))
}

function keyIs(door: string, key: string) {
  return and(eq(idempotencyKeys.door, door), eq(idempotencyKeys.key, key))
}
