/**
 * Claims on Gmail threads, so that two ingest calls at the same moment (two
 * cron hosts, say) never ingest one thread twice. A claim is a row keyed by
 * the kind of ingest and the thread; it is `done` once the thread's records
 * are committed, in the same transaction.
 */
import { and, eq, sql } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import { mailIngests } from '../storage/schema.js'

/** The ingests that claim threads. */
export type IngestKind = 'work_order' | 'print_invoice' | 'print_confirmation'

/** What claiming a thread found. */
export type ClaimOutcome = 'claimed' | 'done' | 'busy'

// A claim this old was left by a call that died; another may take it over.
const STALE_CLAIM_MINUTES = 10

/** Claims `threadId` for `kind`, unless it is done or claimed already. */
export async function claimThread(
  orm: Orm,
  kind: IngestKind,
  threadId: string,
): Promise<ClaimOutcome> {
  const claimed = await orm
    .insert(mailIngests)
    .values({ kind, gmailThreadId: threadId, state: 'processing' })
    .onConflictDoUpdate({
      target: [mailIngests.kind, mailIngests.gmailThreadId],
      set: { lockedAt: sql`now()` },
      setWhere: sql`${mailIngests.state} = 'processing'
        and ${mailIngests.lockedAt}
          < now() - make_interval(mins => ${STALE_CLAIM_MINUTES})`,
    })
    .returning({ state: mailIngests.state })
  if (claimed.length > 0) return 'claimed'

  const [row] = await orm
    .select({ state: mailIngests.state })
    .from(mailIngests)
    .where(claimOf(kind, threadId))

  return row?.state === 'done' ? 'done' : 'busy'
}

/** Marks the claim done, in the transaction that stores the thread. */
export async function finishClaim(
  tx: Orm,
  kind: IngestKind,
  threadId: string,
): Promise<void> {
  await tx
    .update(mailIngests)
    .set({ state: 'done', finishedAt: sql`now()` })
    .where(claimOf(kind, threadId))
}

/** Gives a claim up, so that a later call looks at the thread again. */
export async function releaseClaim(
  orm: Orm,
  kind: IngestKind,
  threadId: string,
): Promise<void> {
  await orm
    .delete(mailIngests)
    .where(and(claimOf(kind, threadId), eq(mailIngests.state, 'processing')))
}

function claimOf(kind: IngestKind, threadId: string) {
  return and(
    eq(mailIngests.kind, kind),
    eq(mailIngests.gmailThreadId, threadId),
  )
}
