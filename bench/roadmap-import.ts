/**
 * How long storing a roadmap import takes, in bulk and row by row: one
 * workspace of 5000 items on an in-memory PGlite and on a database of its
 * own at TEST_DATABASE_URL. Prints the figures side by side; it asserts
 * nothing about time, only that both ways stored every item.
 *
 *     node --import tsx bench/roadmap-import.ts
 */
import { performance } from 'node:perf_hooks'
import { eq, sql } from 'drizzle-orm'
import type { RoadmapWorkspace } from '../src/roadmap/roadmap-import.js'
import { ROADMAP_STATUSES } from '../src/roadmap/roadmap-progress.js'
import {
  insertSnapshot,
  itemRowsFor,
  storeRoadmapImport,
} from '../src/roadmap/roadmap-snapshots.js'
import { openDatabase, type Orm } from '../src/storage/database.js'
import { roadmapItems } from '../src/storage/schema.js'
import {
  createServerDatabase,
  dropServerDatabase,
  type Engine,
} from '../test/support/test-database.js'

/** Items in the benched workspace. */
const ITEMS = 5000

/** Timed runs of each way; the median is shown. */
const RUNS = 3

/** Stores `workspace` and returns the id of its snapshot. */
type StoreWay = (orm: Orm, workspace: RoadmapWorkspace) => Promise<number>

/** One way's figures: items stored and the median time, in milliseconds. */
interface Figures {
  items: number
  ms: number
}

interface EngineFigures {
  engine: Engine
  bulk: Figures
  rowByRow: Figures
}

async function main() {
  const results: EngineFigures[] = []
  for (const engine of ['pglite', 'postgres'] as const) {
    results.push(await benchEngine(engine))
  }
  printTable(results)
}

async function benchEngine(engine: Engine): Promise<EngineFigures> {
  const { orm, close } = await openBenchDatabase(engine)
  try {
    // A small run of each way first, so that neither pays for warming up.
    await storeInBulk(orm, roadmapOf('warm-up-bulk', 100))
    await storeRowByRow(orm, roadmapOf('warm-up-rows', 100))
    const bulk = await timeWay(orm, 'bulk', storeInBulk)
    const rowByRow = await timeWay(orm, 'rows', storeRowByRow)
    if (bulk.items !== rowByRow.items) {
      throw new Error(
        `On ${engine}, bulk stored ${bulk.items} items but row by row ` +
          `stored ${rowByRow.items}; both should store ${ITEMS}.`,
      )
    }

    return { engine, bulk, rowByRow }
  } finally {
    await close()
  }
}

async function openBenchDatabase(engine: Engine) {
  if (engine === 'pglite') {
    const database = await openDatabase({})
    await database.migrate()

    return { orm: database.orm, close: () => database.close() }
  }

  const url = await createServerDatabase()
  const database = await openDatabase({ databaseUrl: url })
  await database.migrate()
  const close = async () => {
    await database.close()
    await dropServerDatabase(url)
  }

  return { orm: database.orm, close }
}

/** Runs `store` `RUNS` times, checking each stored every item. */
async function timeWay(
  orm: Orm,
  name: string,
  store: StoreWay,
): Promise<Figures> {
  const times: number[] = []
  let items = 0
  for (let run = 0; run < RUNS; run += 1) {
    const workspace = roadmapOf(`${name}-${run}`, ITEMS)
    const started = performance.now()
    const snapshotId = await store(orm, workspace)
    times.push(performance.now() - started)
    items = await countItems(orm, snapshotId)
    if (items !== ITEMS) {
      throw new Error(
        `The ${name} way stored ${items} items of snapshot ${snapshotId}, ` +
          `not the ${ITEMS} it was given.`,
      )
    }
  }
  times.sort((a, b) => a - b)

  return { items, ms: times[Math.floor(RUNS / 2)]! }
}

/** The service's way: one transaction, items in multi-row INSERTs. */
async function storeInBulk(orm: Orm, workspace: RoadmapWorkspace) {
  const [snapshot] = await storeRoadmapImport(orm, [workspace])

  return snapshot!.id
}

/** The baseline: the same transaction, but one INSERT per item. */
async function storeRowByRow(orm: Orm, workspace: RoadmapWorkspace) {
  return orm.transaction(async (tx) => {
    const snapshot = await insertSnapshot(tx, workspace)
    for (const row of itemRowsFor(snapshot.id, workspace.items)) {
      await tx.insert(roadmapItems).values(row)
    }

    return snapshot.id
  })
}

async function countItems(orm: Orm, snapshotId: number): Promise<number> {
  const [row] = await orm
    .select({ count: sql<number>`count(*)::int` })
    .from(roadmapItems)
    .where(eq(roadmapItems.snapshotId, snapshotId))

  return row!.count
}

/** A roadmap of `count` items, every field in use, ten items a parent. */
function roadmapOf(id: string, count: number): RoadmapWorkspace {
  const items = Array.from({ length: count }, (_, i) => ({
    id: `r-${i}`,
    title: `Step ${i} of the new press line`,
    status: ROADMAP_STATUSES[i % ROADMAP_STATUSES.length]!,
    ...(i % 2 === 0 ? { progress: (i % 100) / 100 } : { done: 1, total: 4 }),
    owner: 'Dana',
    due_date: '2027-01-15',
    ...(i % 10 === 0 ? {} : { parent_id: `r-${i - (i % 10)}` }),
  }))

  return { id, name: `Bench ${id}`, items }
}

function printTable(results: EngineFigures[]) {
  const header = [
    'engine',
    'items',
    'bulk ms',
    'bulk items/s',
    'row-by-row ms',
    'row-by-row items/s',
  ]
  const rows = results.map(({ engine, bulk, rowByRow }) => [
    engine,
    String(bulk.items),
    bulk.ms.toFixed(1),
    perSecond(bulk),
    rowByRow.ms.toFixed(1),
    perSecond(rowByRow),
  ])
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  )
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!),
      )
      .join('  ')

  console.log(
    `Roadmap import, 1 workspace of ${ITEMS} items, median of ${RUNS} runs`,
  )
  console.log(line(header))
  for (const row of rows) console.log(line(row))
}

function perSecond(figures: Figures): string {
  return String(Math.round(figures.items / (figures.ms / 1000)))
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
