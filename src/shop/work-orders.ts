/**
 * Work orders as the doors know them: a status that follow-up rules move
 * on, and a ledger of costs and payments in integer cents.
 */
import { eq } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import {
  workOrderLedger,
  workOrders,
  workOrderStatusChanges,
} from '../storage/schema.js'

/** Who asked for a change: the event and, for rules, the run and action. */
export interface ChangeOrigin {
  eventId?: number | null
  ruleRunId?: number | null
  actionIndex?: number | null
}

/**
 * Moves work order `workOrderId` to `status`, creating it when it is new,
 * and records the change. Returns the status it had before.
 */
export async function setWorkOrderStatus(
  tx: Orm,
  workOrderId: string,
  status: string,
  origin: ChangeOrigin,
): Promise<string | null> {
  const [before] = await tx
    .select({ status: workOrders.status })
    .from(workOrders)
    .where(eq(workOrders.id, workOrderId))
    .for('update')

  await tx
    .insert(workOrders)
    .values({ id: workOrderId, status })
    .onConflictDoUpdate({
      target: workOrders.id,
      set: { status, statusChangedAt: new Date() },
    })
  await tx
    .insert(workOrderStatusChanges)
    .values({
      workOrderId,
      fromStatus: before?.status ?? null,
      toStatus: status,
      ...origin,
    })
    .onConflictDoNothing()

  return before?.status ?? null
}

/** A cost or a payment against a work order. */
export interface LedgerEntry {
  workOrderId: string
  entryKind: 'cost' | 'payment'
  /** What it was for: blanks, shipping, print, payment_fees, ... */
  category: string
  /** Amount in integer cents of `currency`. */
  amountCents: number
  /** ISO 4217 code, like USD. */
  currency: string
  memo?: string | null
}

/** Records `entry`; a rule action records its entry at most once. */
export async function recordLedgerEntry(
  tx: Orm,
  entry: LedgerEntry,
  origin: ChangeOrigin,
): Promise<number | undefined> {
  const [row] = await tx
    .insert(workOrderLedger)
    .values({ ...entry, ...origin })
    .onConflictDoNothing()
    .returning({ id: workOrderLedger.id })

  return row?.id
}

/**
 * Reads an amount of money in cents: a whole number, written as a number
 * or as digits. Returns undefined for anything else (decimals included:
 * 12.50 dollars is 1250 cents, and guessing which was meant is worse).
 */
export function parseCents(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text !== 'string' || !/^-?\d{1,15}$/.test(text.trim())) {
    return undefined
  }

  return Number(text.trim())
}
