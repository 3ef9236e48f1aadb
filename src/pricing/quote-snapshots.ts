/**
 * Snapshots of priced quotes: the request, the result and the version of the
 * price list that priced it, kept for reference.
 */
import { desc, eq } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import { pricingQuotes } from '../storage/schema.js'

/** A quote about to be kept. */
export interface QuoteSnapshot {
  request: unknown
  result: unknown
  priceListVersion: string
  /** The quote's total, in integer cents of `currency`. */
  totalCents: number
  currency: string
  /** Who asked, when the request said. */
  source: string | null
}

/** Keeps `snapshot` and returns its id. */
export async function saveQuoteSnapshot(
  tx: Orm,
  snapshot: QuoteSnapshot,
): Promise<number> {
  const [row] = await tx
    .insert(pricingQuotes)
    .values(snapshot)
    .returning({ id: pricingQuotes.id })

  return row!.id
}

/** The snapshot with `id`, or undefined. */
export async function readQuoteSnapshot(orm: Orm, id: number) {
  const [row] = await orm
    .select()
    .from(pricingQuotes)
    .where(eq(pricingQuotes.id, id))

  return row
}

/** Stored quotes, newest first. */
export async function listQuoteSnapshots(
  orm: Orm,
  page: { limit: number; offset: number },
) {
  return orm
    .select()
    .from(pricingQuotes)
    .orderBy(desc(pricingQuotes.createdAt), desc(pricingQuotes.id))
    .limit(page.limit)
    .offset(page.offset)
}
