/**
 * Roadmap snapshots: each import keeps one snapshot a workspace, with all
 * its items, so that the shop can see how a roadmap moved between imports.
 * Nothing is ever overwritten; the newest snapshot of a workspace is its
 * current roadmap.
 */
import { desc, eq, sql } from 'drizzle-orm'
import { rowsOf, type Orm } from '../storage/database.js'
import { roadmapItems, roadmapSnapshots } from '../storage/schema.js'
import type { RoadmapItem, RoadmapWorkspace } from './roadmap-import.js'
import { itemBasisPoints, summarizeRoadmap } from './roadmap-progress.js'

/**
 * Item rows a single INSERT carries. Each row takes 11 parameters, so 2000
 * rows stay at 22000, well under PostgreSQL's limit of 65535 a statement.
 */
export const ITEMS_PER_INSERT = 2000

/** Item ids listed per kind of change; the counts say how many in all. */
export const CHANGES_LISTED = 1000

/** A stored snapshot, as the doors answer with it. */
export interface RoadmapSnapshot {
  id: number
  workspace_id: string
  workspace_name: string | null
  item_count: number
  /** Overall progress in basis points: 10000 is done. */
  progress_basis_points: number
  /** Items in each status; every status is listed. */
  counts_by_status: Record<string, number>
  /** When the import was stored, ISO 8601 in UTC. */
  taken_at: string
}

/** One item whose status moved between two snapshots. */
export interface StatusChange {
  item: string
  from: string
  to: string
}

/**
 * What changed since the previous snapshot of the same workspace. Each
 * list holds at most `CHANGES_LISTED` entries, in roadmap order; the
 * counts are complete.
 */
export interface RoadmapChanges {
  added: string[]
  removed: string[]
  status_changes: StatusChange[]
  added_count: number
  removed_count: number
  status_change_count: number
}

/** A snapshot in a workspace's history; `changes` is null for the first. */
export interface SnapshotWithChanges extends RoadmapSnapshot {
  changes: RoadmapChanges | null
}

type SnapshotRow = typeof roadmapSnapshots.$inferSelect

type ItemRow = typeof roadmapItems.$inferSelect

/**
 * Stores one snapshot per workspace, with its items, in one transaction:
 * either the whole import is kept or none of it. Items go in bulk,
 * `ITEMS_PER_INSERT` rows a statement.
 */
export async function storeRoadmapImport(
  orm: Orm,
  workspaces: readonly RoadmapWorkspace[],
): Promise<RoadmapSnapshot[]> {
  return orm.transaction(async (tx) => {
    const stored: RoadmapSnapshot[] = []
    for (const workspace of workspaces) {
      stored.push(await storeWorkspace(tx, workspace))
    }

    return stored
  })
}

async function storeWorkspace(
  tx: Orm,
  workspace: RoadmapWorkspace,
): Promise<RoadmapSnapshot> {
  const snapshot = await insertSnapshot(tx, workspace)
  const rows = itemRowsFor(snapshot.id, workspace.items)
  for (let start = 0; start < rows.length; start += ITEMS_PER_INSERT) {
    await tx.execute(insertItems(rows.slice(start, start + ITEMS_PER_INSERT)))
  }

  return snapshot
}

/**
 * One multi-row INSERT of `rows`. Written as a template rather than with
 * Drizzle's insert builder, which took several times longer to assemble a
 * statement of 2000 rows than PostgreSQL took to run it.
 */
function insertItems(rows: readonly ItemRow[]) {
  const tuples = rows.map(
    (row) =>
      sql`(${row.snapshotId}, ${row.itemId}, ${row.position}, ${row.title},
        ${row.status}, ${row.progressBasisPoints}, ${row.done}, ${row.total},
        ${row.owner}, ${row.dueDate}, ${row.parentItemId})`,
  )

  return sql`
    insert into roadmap_items (snapshot_id, item_id, position, title,
      status, progress_basis_points, done, total, owner, due_date,
      parent_item_id)
    values ${sql.join(tuples, sql`, `)}`
}

/**
 * Stores the snapshot row of `workspace`, with its progress and counts,
 * but not its items.
 */
export async function insertSnapshot(
  tx: Orm,
  workspace: RoadmapWorkspace,
): Promise<RoadmapSnapshot> {
  const summary = summarizeRoadmap(workspace.items)
  const [row] = await tx
    .insert(roadmapSnapshots)
    .values({
      workspaceId: workspace.id,
      workspaceName: workspace.name || null,
      itemCount: summary.itemCount,
      progressBasisPoints: summary.progressBasisPoints,
      countsByStatus: summary.countsByStatus,
    })
    .returning()

  return toSnapshot(row!)
}

/** The rows of `items` under snapshot `snapshotId`, in roadmap order. */
export function itemRowsFor(
  snapshotId: number,
  items: readonly RoadmapItem[],
): ItemRow[] {
  return items.map((item, position) => ({
    snapshotId,
    itemId: item.id,
    position,
    title: item.title,
    status: item.status,
    progressBasisPoints: reportsProgress(item) ? itemBasisPoints(item) : null,
    done: item.done ?? null,
    total: item.total ?? null,
    owner: item.owner || null,
    dueDate: item.due_date ?? null,
    parentItemId: item.parent_id ?? null,
  }))
}

function reportsProgress(item: RoadmapItem): boolean {
  return typeof item.progress === 'number' || typeof item.total === 'number'
}

/** The newest snapshot of every workspace, by workspace id. */
export async function latestSnapshots(orm: Orm): Promise<RoadmapSnapshot[]> {
  const rows = await orm
    .selectDistinctOn([roadmapSnapshots.workspaceId])
    .from(roadmapSnapshots)
    .orderBy(
      roadmapSnapshots.workspaceId,
      desc(roadmapSnapshots.takenAt),
      desc(roadmapSnapshots.id),
    )

  return rows.map(toSnapshot)
}

/**
 * The `limit` newest snapshots of `workspaceId`, newest first, each with
 * what changed since the one before it; undefined when the workspace was
 * never imported.
 */
export async function workspaceHistory(
  orm: Orm,
  workspaceId: string,
  limit: number,
): Promise<SnapshotWithChanges[] | undefined> {
  // One more than shown, so that the oldest shown has its predecessor.
  const rows = await orm
    .select()
    .from(roadmapSnapshots)
    .where(eq(roadmapSnapshots.workspaceId, workspaceId))
    .orderBy(desc(roadmapSnapshots.takenAt), desc(roadmapSnapshots.id))
    .limit(limit + 1)
  if (rows.length === 0) return undefined

  const shown = rows.slice(0, limit)
  const pairs = shown.flatMap((row, k) => {
    const previous = rows[k + 1]

    return previous ? [{ snapshotId: row.id, previousId: previous.id }] : []
  })
  const changes = await changesBetween(orm, pairs)

  return shown.map((row) => ({
    ...toSnapshot(row),
    changes: changes.get(row.id) ?? null,
  }))
}

interface SnapshotPair {
  snapshotId: number
  previousId: number
}

interface ChangeRow {
  snapshot_id: number | string
  kind: 'added' | 'removed' | 'status'
  item_id: string
  from_status: string | null
  to_status: string | null
  total: number
}

/** The changes of each pair's snapshot since its previous one, by id. */
async function changesBetween(
  orm: Orm,
  pairs: readonly SnapshotPair[],
): Promise<Map<number, RoadmapChanges>> {
  const changes = new Map(pairs.map((p) => [p.snapshotId, noChanges()]))
  if (pairs.length === 0) return changes

  const rows = rowsOf<ChangeRow>(await orm.execute(changeQuery(pairs)))
  for (const row of rows) {
    const entry = changes.get(Number(row.snapshot_id))!
    if (row.kind === 'added') {
      entry.added.push(row.item_id)
      entry.added_count = row.total
    } else if (row.kind === 'removed') {
      entry.removed.push(row.item_id)
      entry.removed_count = row.total
    } else {
      entry.status_changes.push({
        item: row.item_id,
        from: row.from_status!,
        to: row.to_status!,
      })
      entry.status_change_count = row.total
    }
  }

  return changes
}

function noChanges(): RoadmapChanges {
  return {
    added: [],
    removed: [],
    status_changes: [],
    added_count: 0,
    removed_count: 0,
    status_change_count: 0,
  }
}

/**
 * Items added, removed or moved to another status between each pair of
 * snapshots: the first `CHANGES_LISTED` of each kind in roadmap order,
 * each row carrying the full count of its kind.
 */
function changeQuery(pairs: readonly SnapshotPair[]) {
  const values = sql.join(
    pairs.map((p) => sql`(${p.snapshotId}::bigint, ${p.previousId}::bigint)`),
    sql`, `,
  )

  return sql`
    with pairs (snapshot_id, previous_id) as (values ${values}),
    changes as (
      select p.snapshot_id, n.item_id, n.position,
        o.status as from_status, n.status as to_status,
        case when o.item_id is null then 'added' else 'status' end as kind
      from pairs p
      join roadmap_items n on n.snapshot_id = p.snapshot_id
      left join roadmap_items o
        on o.snapshot_id = p.previous_id and o.item_id = n.item_id
      where o.item_id is null or o.status <> n.status
      union all
      select p.snapshot_id, o.item_id, o.position,
        o.status, null, 'removed'
      from pairs p
      join roadmap_items o on o.snapshot_id = p.previous_id
      where not exists (
        select 1 from roadmap_items n
        where n.snapshot_id = p.snapshot_id and n.item_id = o.item_id
      )
    ),
    ranked as (
      select changes.*,
        row_number() over (
          partition by snapshot_id, kind order by position
        ) as rank,
        count(*) over (partition by snapshot_id, kind) as total
      from changes
    )
    select snapshot_id, kind, item_id, from_status, to_status,
      total::int as total
    from ranked
    where rank <= ${CHANGES_LISTED}
    order by snapshot_id, kind, rank`
}

function toSnapshot(row: SnapshotRow): RoadmapSnapshot {
  return {
    id: row.id,
    workspace_id: row.workspaceId,
    workspace_name: row.workspaceName,
    item_count: row.itemCount,
    progress_basis_points: row.progressBasisPoints,
    counts_by_status: row.countsByStatus,
    taken_at: row.takenAt.toISOString(),
  }
}
