/**
 * How far a roadmap has come: each item's progress and the workspace's
 * overall progress in basis points (10000 is done), and how many items
 * stand in each status. Pure computations, no storage.
 */

/** The statuses a roadmap item can be in, in the order they are listed. */
export const ROADMAP_STATUSES = [
  'planned',
  'in_progress',
  'blocked',
  'done',
  'cancelled',
] as const

/** One of `ROADMAP_STATUSES`. */
export type RoadmapStatus = (typeof ROADMAP_STATUSES)[number]

/** Basis points of a finished item: 10000 is 100%. */
export const COMPLETE_BASIS_POINTS = 10_000

/** What an item reports about its own progress. */
export interface ItemProgress {
  id: string
  status: RoadmapStatus
  /** Share done, from 0 to 1; absent when `done`/`total` are used. */
  progress?: number | null | undefined
  /** Steps done, a whole number no larger than `total`. */
  done?: number | null | undefined
  /** Steps in all, a whole number. */
  total?: number | null | undefined
  /** The id of the item this one belongs to. */
  parent_id?: string | null | undefined
}

/** What a workspace's roadmap adds up to. */
export interface RoadmapSummary {
  itemCount: number
  /** Mean of the leaf items that are not cancelled, in basis points. */
  progressBasisPoints: number
  countsByStatus: Record<RoadmapStatus, number>
}

/**
 * The progress of one item in basis points (0 to 10000), rounded half up:
 * `progress` × 10000, or `done` / `total` × 10000; an item reporting neither
 * counts as 10000 when its status is `done` and 0 otherwise, and so does
 * one with a `total` of 0.
 */
export function itemBasisPoints(item: ItemProgress): number {
  if (typeof item.progress === 'number') {
    return shareToBasisPoints(item.progress)
  }

  const { done, total } = item
  if (typeof done === 'number' && typeof total === 'number' && total > 0) {
    return divideHalfUp(done * COMPLETE_BASIS_POINTS, total)
  }

  return item.status === 'done' ? COMPLETE_BASIS_POINTS : 0
}

/**
 * The overall progress of a workspace in basis points: the mean of its leaf
 * items (those no other item names as parent), cancelled ones left out,
 * rounded half up; 0 when no item is left to count.
 */
export function workspaceBasisPoints(items: readonly ItemProgress[]): number {
  const parents = new Set(items.map((item) => item.parent_id))
  const counted = items.filter(
    (item) => !parents.has(item.id) && item.status !== 'cancelled',
  )
  if (counted.length === 0) return 0

  const sum = counted.reduce((total, item) => total + itemBasisPoints(item), 0)

  return divideHalfUp(sum, counted.length)
}

/** How many items are in each status; every status is listed, 0 if none. */
export function countByStatus(
  items: readonly ItemProgress[],
): Record<RoadmapStatus, number> {
  const counts = Object.fromEntries(
    ROADMAP_STATUSES.map((status) => [status, 0]),
  ) as Record<RoadmapStatus, number>
  for (const item of items) counts[item.status] += 1

  return counts
}

/** Item count, overall progress and counts by status of one workspace. */
export function summarizeRoadmap(
  items: readonly ItemProgress[],
): RoadmapSummary {
  return {
    itemCount: items.length,
    progressBasisPoints: workspaceBasisPoints(items),
    countsByStatus: countByStatus(items),
  }
}

/** A share from 0 to 1 in basis points, rounded half up. */
function shareToBasisPoints(share: number): number {
  // Cut binary noise first, so that 0.12345 counts as 1234.5 (and rounds
  // up to 1235) rather than as 1234.4999999999998.
  const exact = Number((share * COMPLETE_BASIS_POINTS).toPrecision(12))

  return Math.floor(exact + 0.5)
}

/** `numerator` / `denominator` rounded half up, for whole numbers ≥ 0. */
function divideHalfUp(numerator: number, denominator: number): number {
  return Math.floor((numerator * 2 + denominator) / (denominator * 2))
}
