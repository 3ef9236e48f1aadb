import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import type { RoadmapWorkspace } from '../src/roadmap/roadmap-import.js'
import { storeRoadmapImport } from '../src/roadmap/roadmap-snapshots.js'
import { ENGINES, query, resetTables } from './support/test-database.js'
import { startTestService, type TestService } from './support/test-service.js'

type Item = Record<string, unknown>

/**
 * The main shop's roadmap. Its progress, by hand: the leaves are r-1 to
 * r-5 (r-0 is their parent). r-1 0.4001 -> 4001, r-2 1 of 3 -> 3333,
 * r-3 done without figures -> 10000, r-5 blocked without figures -> 0;
 * r-4 is cancelled and left out. (4001 + 3333 + 10000 + 0) / 4 = 4333.5,
 * which rounds half up to 4334.
 */
function mainShopItems(): Item[] {
  return [
    { id: 'r-0', title: 'Grow the shop', status: 'in_progress' },
    {
      id: 'r-1',
      title: 'New press',
      status: 'in_progress',
      progress: 0.4001,
      owner: 'Dana',
      due_date: '2027-01-15',
      parent_id: 'r-0',
    },
    {
      id: 'r-2',
      title: 'Train the second shift',
      status: 'planned',
      done: 1,
      total: 3,
      parent_id: 'r-0',
    },
    { id: 'r-3', title: 'Move the dryer', status: 'done', parent_id: 'r-0' },
    {
      id: 'r-4',
      title: 'Old website',
      status: 'cancelled',
      progress: 0.9,
      parent_id: 'r-0',
    },
    { id: 'r-5', title: 'Order screens', status: 'blocked' },
  ]
}

function workspace(id: string, items: Item[], name = `Shop ${id}`) {
  return { id, name, items }
}

function importOf(...workspaces: unknown[]) {
  return { workspaces }
}

function postImport(
  t: TestService,
  body: unknown,
  options: { remoteAddress?: string; headers?: Record<string, string> } = {},
) {
  return t.service.app.inject({
    method: 'POST',
    url: '/api/roadmap/ingest',
    headers: { 'content-type': 'application/json', ...options.headers },
    payload: JSON.stringify(body),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  })
}

function getSnapshots(t: TestService, search = '') {
  return t.service.app.inject({ url: `/api/roadmap/snapshots${search}` })
}

async function storedRows(t: TestService) {
  const [row] = await query<{ snapshots: number; items: number }>(
    t.database,
    `select (select count(*)::int from roadmap_snapshots) as snapshots,
            (select count(*)::int from roadmap_items) as items`,
  )

  return row!
}

const NOTHING = { snapshots: 0, items: 0 }

/** A main shop whose item `index` has `fields` on top of its own. */
function mainShopWith(index: number, fields: Item): unknown {
  const items = mainShopItems()
  items[index] = { ...items[index], ...fields }

  return importOf(workspace('ws-1', items))
}

/** Invalid imports, and the problem each must be refused for. */
const INVALID: {
  name: string
  body: () => unknown
  expected: { workspace: string | null; item: string | null; field: string }
  detail?: RegExp
}[] = [
  {
    name: 'a missing title',
    body: () => mainShopWith(1, { title: undefined }),
    expected: { workspace: 'ws-1', item: 'r-1', field: 'title' },
    detail: /workspace "ws-1" item "r-1": title is missing/,
  },
  {
    name: 'an unknown status',
    body: () => mainShopWith(2, { status: 'started' }),
    expected: { workspace: 'ws-1', item: 'r-2', field: 'status' },
    detail:
      /item "r-2": status must be one of planned, in_progress, blocked, done, cancelled, got "started"/,
  },
  {
    name: 'progress above 1',
    body: () => mainShopWith(1, { progress: 1.5 }),
    expected: { workspace: 'ws-1', item: 'r-1', field: 'progress' },
  },
  {
    name: 'progress and done/total together',
    body: () => mainShopWith(1, { done: 1, total: 2 }),
    expected: { workspace: 'ws-1', item: 'r-1', field: 'progress' },
  },
  {
    name: 'done above total',
    body: () => mainShopWith(2, { done: 4 }),
    expected: { workspace: 'ws-1', item: 'r-2', field: 'done' },
    detail: /done \(4\) is more than total \(3\)/,
  },
  {
    name: 'done without total',
    body: () => mainShopWith(2, { total: undefined }),
    expected: { workspace: 'ws-1', item: 'r-2', field: 'total' },
  },
  {
    name: 'a fractional done',
    body: () => mainShopWith(2, { done: 1.5 }),
    expected: { workspace: 'ws-1', item: 'r-2', field: 'done' },
  },
  {
    name: 'a date that does not exist',
    body: () => mainShopWith(1, { due_date: '2027-02-30' }),
    expected: { workspace: 'ws-1', item: 'r-1', field: 'due_date' },
    detail: /due_date must be a real date written YYYY-MM-DD.*"2027-02-30"/,
  },
  {
    name: 'an item id used twice',
    body: () => mainShopWith(5, { id: 'r-3' }),
    expected: { workspace: 'ws-1', item: 'r-3', field: 'id' },
    detail: /also the id of item #3/,
  },
  {
    name: 'an item without an id',
    body: () => mainShopWith(5, { id: undefined }),
    expected: { workspace: 'ws-1', item: '#5', field: 'id' },
    detail: /workspace "ws-1" item #5: id is missing/,
  },
  {
    name: 'a parent that is not in the workspace',
    body: () => mainShopWith(5, { parent_id: 'r-99' }),
    expected: { workspace: 'ws-1', item: 'r-5', field: 'parent_id' },
    detail: /parent_id "r-99" names no item of this workspace/,
  },
  {
    name: 'an item that is its own parent',
    body: () => mainShopWith(5, { parent_id: 'r-5' }),
    expected: { workspace: 'ws-1', item: 'r-5', field: 'parent_id' },
  },
  {
    name: 'parents that form a loop',
    // r-0 -> r-5 -> r-0: r-0 sits under r-5, which sits under r-0.
    body: () => {
      const items = mainShopItems()
      items[0] = { ...items[0], parent_id: 'r-5' }
      items[5] = { ...items[5], parent_id: 'r-0' }

      return importOf(workspace('ws-1', items))
    },
    expected: { workspace: 'ws-1', item: 'r-0', field: 'parent_id' },
    detail: /loop of parents: "r-0" → "r-5" → "r-0"/,
  },
  {
    name: 'a workspace without an id',
    body: () => importOf({ name: 'Nameless', items: [] }),
    expected: { workspace: '#0', item: null, field: 'id' },
  },
  {
    name: 'a workspace id used twice',
    body: () => importOf(workspace('ws-1', []), workspace('ws-1', [])),
    expected: { workspace: 'ws-1', item: null, field: 'id' },
  },
  {
    name: 'no workspaces',
    body: () => importOf(),
    expected: { workspace: null, item: null, field: 'workspaces' },
  },
  {
    name: 'more than 100 workspaces',
    body: () =>
      importOf(
        ...Array.from({ length: 101 }, (_, i) => workspace(`ws-${i}`, [])),
      ),
    expected: { workspace: null, item: null, field: 'workspaces' },
  },
]

for (const engine of ENGINES) {
  describe(`roadmap doors on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine)
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    it('keeps one snapshot per workspace with its progress and counts', async () => {
      const response = await postImport(
        t,
        importOf(
          workspace('ws-1', mainShopItems(), 'Main shop'),
          workspace('ws-2', []),
        ),
      )

      assert.equal(response.statusCode, 201)
      const [main, empty] = response.json().snapshots
      assert.equal(main.workspace_id, 'ws-1')
      assert.equal(main.workspace_name, 'Main shop')
      assert.equal(main.item_count, 6)
      assert.equal(main.progress_basis_points, 4334)
      // r-2 planned; r-0, r-1 in progress; r-5 blocked; r-3 done; r-4
      // cancelled.
      assert.deepEqual(main.counts_by_status, {
        planned: 1,
        in_progress: 2,
        blocked: 1,
        done: 1,
        cancelled: 1,
      })
      assert.equal(empty.item_count, 0)
      assert.equal(empty.progress_basis_points, 0)
      assert.equal(empty.counts_by_status.done, 0)
      assert.deepEqual(await storedRows(t), { snapshots: 2, items: 6 })
    })

    it('keeps each item as sent, with its own progress', async () => {
      await postImport(t, importOf(workspace('ws-1', mainShopItems())))

      const items = await query<any>(
        t.database,
        `select item_id, position, status, progress_basis_points, done,
                total, owner, due_date::text as due_date, parent_item_id
         from roadmap_items order by position`,
      )
      assert.deepEqual(
        items.map((item) => item.item_id),
        ['r-0', 'r-1', 'r-2', 'r-3', 'r-4', 'r-5'],
      )
      assert.deepEqual(items[1], {
        item_id: 'r-1',
        position: 1,
        status: 'in_progress',
        progress_basis_points: 4001,
        done: null,
        total: null,
        owner: 'Dana',
        due_date: '2027-01-15',
        parent_item_id: 'r-0',
      })
      // 1 of 3 steps: 3333; r-0 reports no progress of its own.
      assert.equal(items[2].progress_basis_points, 3333)
      assert.equal(items[0].progress_basis_points, null)
    })

    it('keeps earlier snapshots, and history tells what changed', async () => {
      const first = (
        await postImport(t, importOf(workspace('ws-1', mainShopItems())))
      ).json().snapshots[0]
      const next = mainShopItems().slice(0, 5)
      next[1] = { ...next[1], status: 'done' }
      next[2] = { ...next[2], status: 'in_progress' }
      next.push({ id: 'r-6', title: 'Hire a printer', status: 'planned' })
      const second = (
        await postImport(t, importOf(workspace('ws-1', next)))
      ).json().snapshots[0]

      const response = await getSnapshots(t, '?workspace=ws-1')

      assert.equal(response.statusCode, 200)
      const history = response.json()
      assert.equal(history.workspace, 'ws-1')
      assert.deepEqual(
        history.snapshots.map((s: { id: number }) => s.id),
        [second.id, first.id],
      )
      assert.deepEqual(history.snapshots[0].changes, {
        added: ['r-6'],
        removed: ['r-5'],
        status_changes: [
          { item: 'r-1', from: 'in_progress', to: 'done' },
          { item: 'r-2', from: 'planned', to: 'in_progress' },
        ],
        added_count: 1,
        removed_count: 1,
        status_change_count: 2,
      })
      assert.equal(history.snapshots[1].changes, null)
      assert.deepEqual(await storedRows(t), { snapshots: 2, items: 12 })
    })

    it('compares the oldest snapshot shown with the one before it', async () => {
      await postImport(t, importOf(workspace('ws-1', mainShopItems())))
      const fewer = mainShopItems().slice(0, 4)
      await postImport(t, importOf(workspace('ws-1', fewer)))

      const response = await getSnapshots(t, '?workspace=ws-1&limit=1')

      const { snapshots } = response.json()
      assert.equal(snapshots.length, 1)
      assert.deepEqual(snapshots[0].changes.removed, ['r-4', 'r-5'])
    })

    it('lists the newest snapshot of every workspace', async () => {
      await postImport(
        t,
        importOf(workspace('ws-1', mainShopItems()), workspace('ws-2', [])),
      )
      const newer = (
        await postImport(t, importOf(workspace('ws-1', [])))
      ).json().snapshots[0]

      const response = await getSnapshots(t)

      assert.equal(response.statusCode, 200)
      const { workspaces } = response.json()
      assert.deepEqual(
        workspaces.map((s: any) => [s.workspace_id, s.item_count]),
        [
          ['ws-1', 0],
          ['ws-2', 0],
        ],
      )
      assert.equal(workspaces[0].id, newer.id)
    })

    it('answers 404 for a workspace never imported', async () => {
      const response = await getSnapshots(t, '?workspace=ws-9')

      assert.equal(response.statusCode, 404)
      assert.match(response.json().detail, /workspace "ws-9"/)
    })

    it('refuses a workspace id holding a NUL with 400', async () => {
      const response = await getSnapshots(t, '?workspace=ws%001')

      assert.equal(response.statusCode, 400)
      assert.match(response.json().detail, /workspace must be one workspace id/)
    })

    it('refuses a history limit out of range with 400', async () => {
      await postImport(t, importOf(workspace('ws-1', [])))

      const response = await getSnapshots(t, '?workspace=ws-1&limit=101')

      assert.equal(response.statusCode, 400)
      assert.match(response.json().detail, /limit must be .* 1 to 100/)
    })

    for (const invalid of INVALID) {
      it(`refuses ${invalid.name} with 422, keeping nothing`, async () => {
        const response = await postImport(t, invalid.body())

        assert.equal(response.statusCode, 422)
        const problem = response.json()
        assert.match(problem.type, /invalid-roadmap$/)
        const named = problem.errors.map((e: any) => ({
          workspace: e.workspace,
          item: e.item,
          field: e.field,
        }))
        assert.deepEqual(
          named.filter(
            (e: any) => JSON.stringify(e) === JSON.stringify(invalid.expected),
          ),
          [invalid.expected],
          `errors: ${JSON.stringify(problem.errors)}`,
        )
        if (invalid.detail) assert.match(problem.detail, invalid.detail)
        assert.deepEqual(await storedRows(t), NOTHING)
      })
    }

    it('keeps nothing when only the second workspace is invalid', async () => {
      const broken = mainShopItems()
      broken[3] = { ...broken[3], status: 'finished' }
      const response = await postImport(
        t,
        importOf(workspace('ws-1', mainShopItems()), workspace('ws-2', broken)),
      )

      assert.equal(response.statusCode, 422)
      assert.deepEqual(
        response.json().errors.map((e: any) => [e.workspace, e.item]),
        [['ws-2', 'r-3']],
      )
      assert.deepEqual(await storedRows(t), NOTHING)
    })

    it('lists every problem at once, the first 100 in full', async () => {
      const items = Array.from({ length: 150 }, (_, i) => ({
        id: `r-${i}`,
        title: `Step ${i}`,
        status: 'started',
      }))
      const response = await postImport(t, importOf(workspace('ws-1', items)))

      const problem = response.json()
      assert.equal(problem.errors.length, 100)
      assert.equal(problem.error_count, 150)
      assert.equal(problem.errors[99].item, 'r-99')
      assert.match(problem.detail, /and 50 more problems not listed/)
    })

    it('stores no workspace when a later one fails to store', async () => {
      // Past validation, so that it is the storage that fails: the second
      // workspace repeats an item id, which its primary key refuses.
      const twice = { id: 'x', title: 'Twice', status: 'planned' as const }
      const workspaces: RoadmapWorkspace[] = [
        { id: 'ws-1', items: [{ ...twice }] },
        { id: 'ws-2', items: [{ ...twice }, { ...twice }] },
      ]

      await assert.rejects(storeRoadmapImport(t.database.orm, workspaces))
      assert.deepEqual(await storedRows(t), NOTHING)
    })

    it('stores a workspace of 4000 items', async () => {
      const items = Array.from({ length: 4000 }, (_, i) => ({
        id: `r-${i}`,
        title: `Step ${i}`,
        status: i % 2 === 0 ? 'done' : 'planned',
        ...(i > 0 ? { parent_id: 'r-0' } : {}),
      }))
      const response = await postImport(t, importOf(workspace('ws-1', items)))

      assert.equal(response.statusCode, 201)
      const [snapshot] = response.json().snapshots
      assert.equal(snapshot.item_count, 4000)
      // Leaves r-1 to r-3999: 1999 done (even ids) of 3999, so
      // 1999 x 10000 / 3999 = 4998.75 -> 4999.
      assert.equal(snapshot.progress_basis_points, 4999)
      assert.deepEqual(await storedRows(t), { snapshots: 1, items: 4000 })
    })

    it('refuses an untrusted network with 403, keeping nothing', async () => {
      const remoteAddress = '203.0.113.9'
      const body = importOf(workspace('ws-1', mainShopItems()))
      const plain = await postImport(t, body, { remoteAddress })
      const spoofed = await postImport(t, body, {
        remoteAddress,
        headers: { 'x-forwarded-for': '127.0.0.1' },
      })
      const read = await t.service.app.inject({
        url: '/api/roadmap/snapshots',
        remoteAddress,
      })

      assert.equal(plain.statusCode, 403)
      assert.equal(spoofed.statusCode, 403)
      assert.equal(read.statusCode, 403)
      assert.deepEqual(await storedRows(t), NOTHING)
    })
  })

  describe(`roadmap import behind a trusted proxy on ${engine}`, () => {
    let t: TestService

    before(async () => {
      t = await startTestService(engine, {
        env: { TRUSTED_PROXIES: '10.0.0.1' },
      })
    })
    after(() => t.close())
    beforeEach(() => resetTables(t.database))

    const viaProxy = (client: string) =>
      postImport(t, importOf(workspace('ws-1', mainShopItems())), {
        remoteAddress: '10.0.0.1',
        headers: { 'x-forwarded-for': client },
      })

    it('accepts a client on the trusted networks', async () => {
      const response = await viaProxy('192.168.1.5')

      assert.equal(response.statusCode, 201)
      assert.deepEqual(await storedRows(t), { snapshots: 1, items: 6 })
    })

    it('refuses a client outside them with 403', async () => {
      const response = await viaProxy('198.51.100.7')

      assert.equal(response.statusCode, 403)
      assert.deepEqual(await storedRows(t), NOTHING)
    })
  })
}
