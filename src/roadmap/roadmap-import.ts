/**
 * A roadmap import: the roadmaps of the shop's workspaces, as PressOS
 * Progress sends them in bulk. This module checks the body and names every
 * problem at once, by workspace and item, so that the sender can fix them
 * all before the next run.
 */
import { z } from 'zod'
import { HttpProblem } from '../http/problem.js'
import { ROADMAP_STATUSES } from './roadmap-progress.js'

/** Workspaces one import may hold. */
export const MAX_WORKSPACES = 100

/** Items one workspace may hold. */
export const MAX_ITEMS = 20_000

/** Problems listed in a refusal; the rest are only counted. */
export const MAX_LISTED_PROBLEMS = 100

// The largest value of a PostgreSQL integer column.
const MAX_STEPS = 2_147_483_647

const ITEM = z.object({
  id: z.string().min(1).max(200),
  title: z.string().trim().min(1).max(500),
  status: z.enum(ROADMAP_STATUSES),
  progress: z.number().min(0).max(1).nullish(),
  done: z.int().min(0).max(MAX_STEPS).nullish(),
  total: z.int().min(0).max(MAX_STEPS).nullish(),
  owner: z.string().trim().max(200).nullish(),
  // PostgreSQL has no year 0, which the ISO pattern lets through.
  due_date: z.iso
    .date()
    .refine((date) => !date.startsWith('0000'))
    .nullish(),
  parent_id: z.string().min(1).max(200).nullish(),
})

const WORKSPACE = z.object({
  id: z.string().min(1).max(200),
  name: z.string().trim().max(300).nullish(),
  items: z.array(ITEM).max(MAX_ITEMS),
})

/** The schema a roadmap import is checked with, and documented by. */
export const ROADMAP_IMPORT = z.object({
  workspaces: z.array(WORKSPACE).min(1).max(MAX_WORKSPACES),
})

/** A checked import: 1 to 100 workspaces with their items. */
export type RoadmapImport = z.infer<typeof ROADMAP_IMPORT>

/** One workspace's roadmap. */
export type RoadmapWorkspace = z.infer<typeof WORKSPACE>

/** One roadmap item; `progress` is a share from 0 to 1. */
export type RoadmapItem = z.infer<typeof ITEM>

/** One problem of an import, as the refusal lists it. */
export interface RoadmapProblem {
  /** The workspace's id, `#index` when it has none, null for the body. */
  workspace: string | null
  /** The item's id, `#index` when it has none, null for the workspace. */
  item: string | null
  field: string
  problem: string
}

/** Where a problem lies: a workspace and maybe one of its items. */
interface Place {
  workspace?: Label
  item?: Label
}

interface Label {
  /** The id, or `#index` when there is no usable id. */
  text: string
  index: number
  fromId: boolean
}

interface Found extends RoadmapProblem {
  place: Place
}

// What each field must be, for the refusal's words.
const RULES: Record<string, string> = {
  workspaces: `a list of 1 to ${MAX_WORKSPACES} workspaces`,
  workspace: 'an object with id, name and items',
  'workspace.id': 'a text of 1 to 200 characters',
  'workspace.name': 'a text of up to 300 characters, or absent',
  'workspace.items': `a list of 0 to ${MAX_ITEMS} items (send [] for none)`,
  item: 'an object with at least id, title and status',
  'item.id': 'a text of 1 to 200 characters, unique in its workspace',
  'item.title': 'a text of 1 to 500 characters',
  'item.status': `one of ${ROADMAP_STATUSES.join(', ')}`,
  'item.progress': 'a number from 0 to 1 (0.4 is 40%)',
  'item.done': `a whole number from 0 to ${MAX_STEPS}`,
  'item.total': `a whole number from 0 to ${MAX_STEPS}`,
  'item.owner': 'a text of up to 200 characters, or absent',
  'item.due_date': 'a real date written YYYY-MM-DD, such as 2027-01-15',
  'item.parent_id': 'the id of another item of the same workspace',
}

/**
 * Checks the JSON of a roadmap import.
 *
 * @throws HttpProblem 422 `invalid-roadmap` listing every problem found
 *   (the first 100) by workspace, item and field.
 */
export function readRoadmapImport(
  body: Record<string, unknown>,
): RoadmapImport {
  const parsed = ROADMAP_IMPORT.safeParse(body)
  const found = [
    ...(parsed.success ? [] : parsed.error.issues.map(fromIssue(body))),
    ...relationProblems(body),
  ]
  if (parsed.success && found.length === 0) return parsed.data

  throw invalidRoadmap(sortByPlace(dropRepeats(found)))
}

/** Turns a zod issue into a problem named by workspace, item and field. */
function fromIssue(body: Record<string, unknown>) {
  return (issue: z.core.$ZodIssue): Found => {
    const path = issue.path
    const workspaces = asList(body.workspaces) ?? []
    if (path.length < 2) return found({}, 'workspaces', body.workspaces)

    const w = Number(path[1])
    const workspace = labelOf(workspaces[w], w)
    if (path[2] !== 'items' || path.length < 4) {
      const field = path.length > 2 ? String(path[2]) : ''

      return found({ workspace }, field, valueAt(body, path.slice(0, 3)))
    }

    const i = Number(path[3])
    const item = labelOf(asList(asObject(workspaces[w])?.items)?.[i], i)
    const field = path.length > 4 ? String(path[4]) : ''

    return found({ workspace, item }, field, valueAt(body, path.slice(0, 5)))
  }
}

/** A problem with `field` at `place`, in the words of `RULES`. */
function found(place: Place, field: string, value: unknown): Found {
  const level = place.item ? 'item' : place.workspace ? 'workspace' : ''
  const key = [level, field].filter(Boolean).join('.')
  const rule = RULES[key] ?? 'as documented'
  const name = field || `the ${level}`
  const problem =
    value === undefined
      ? `${name} is missing; it must be ${rule}`
      : `${name} must be ${rule}, got ${describe(value)}`

  return problemAt(place, field || level, problem)
}

function problemAt(place: Place, field: string, problem: string): Found {
  return {
    workspace: place.workspace?.text ?? null,
    item: place.item?.text ?? null,
    field,
    problem,
    place,
  }
}

/** Problems between fields and between items, checked on the raw body. */
function relationProblems(body: Record<string, unknown>): Found[] {
  const workspaces = asList(body.workspaces) ?? []
  const seen = new Map<string, number>()
  const problems: Found[] = []

  workspaces.forEach((raw, w) => {
    const workspace = labelOf(raw, w)
    const earlier = seen.get(workspace.text)
    if (workspace.fromId && earlier !== undefined) {
      problems.push(
        problemAt(
          { workspace },
          'id',
          `id ${JSON.stringify(workspace.text)} is also the id of ` +
            `workspace #${earlier}; give each workspace its own id`,
        ),
      )
    }
    if (workspace.fromId && earlier === undefined) seen.set(workspace.text, w)

    const items = asList(asObject(raw)?.items) ?? []
    problems.push(...itemProblems(workspace, items.map(asObject)))
  })

  return problems
}

type RawItem = Record<string, unknown> | undefined

/** Repeated ids, progress given twice, unknown parents and loops. */
function itemProblems(workspace: Label, items: RawItem[]): Found[] {
  const firstIndex = new Map<string, number>()
  const problems: Found[] = []

  items.forEach((raw, i) => {
    const place = { workspace, item: labelOf(raw, i) }
    const earlier = firstIndex.get(place.item.text)
    if (place.item.fromId && earlier !== undefined) {
      problems.push(
        problemAt(
          place,
          'id',
          `id ${JSON.stringify(place.item.text)} is also the id of item ` +
            `#${earlier} of this workspace; give each item its own id`,
        ),
      )
    }
    if (place.item.fromId && earlier === undefined) {
      firstIndex.set(place.item.text, i)
    }
    problems.push(...progressProblems(place, raw ?? {}))
  })
  problems.push(...parentProblems(workspace, items, firstIndex))

  return problems
}

/** Progress must come as `progress` or as `done` of `total`, not both. */
function progressProblems(place: Place, item: Record<string, unknown>) {
  const has = (field: string) =>
    item[field] !== undefined && item[field] !== null
  const { done, total } = item
  if (has('progress') && (has('done') || has('total'))) {
    const problem =
      'progress and done/total are both given; send progress (a share ' +
      'from 0 to 1) or done and total (whole steps), not both'

    return [problemAt(place, 'progress', problem)]
  }
  if (has('done') !== has('total')) {
    const missing = has('done') ? 'total' : 'done'
    const problem =
      `${missing} is missing; done and total come together ` +
      '(done steps of total), or leave both out'

    return [problemAt(place, missing, problem)]
  }
  if (typeof done === 'number' && typeof total === 'number' && done > total) {
    const problem =
      `done (${done}) is more than total (${total}); done counts ` +
      'the finished steps of total, so it can be at most total'

    return [problemAt(place, 'done', problem)]
  }

  return []
}

/** Parents that name no item, the item itself, or close a loop. */
function parentProblems(
  workspace: Label,
  items: RawItem[],
  indexOf: Map<string, number>,
): Found[] {
  const parentOf = new Map<string, string>()
  const problems: Found[] = []

  items.forEach((raw, i) => {
    const item = labelOf(raw, i)
    const parent = raw?.parent_id
    if (typeof parent !== 'string' || parent === '') return

    const place = { workspace, item }
    if (item.fromId && parent === item.text) {
      problems.push(problemAt(place, 'parent_id', selfParent(parent)))
    } else if (!indexOf.has(parent)) {
      problems.push(problemAt(place, 'parent_id', unknownParent(parent)))
    } else if (item.fromId && indexOf.get(item.text) === i) {
      parentOf.set(item.text, parent)
    }
  })
  for (const loop of findLoops(parentOf)) {
    const start = loop[0]!
    const item = { text: start, index: indexOf.get(start)!, fromId: true }
    problems.push(problemAt({ workspace, item }, 'parent_id', loopOf(loop)))
  }

  return problems
}

function selfParent(parent: string): string {
  return (
    `parent_id ${JSON.stringify(parent)} names the item itself; it must ` +
    'name another item of the same workspace, or be left out'
  )
}

function unknownParent(parent: string): string {
  return (
    `parent_id ${JSON.stringify(parent)} names no item of this ` +
    'workspace; it must be the id of another item of the same ' +
    'workspace (send the parent too), or be left out'
  )
}

function loopOf(loop: string[]): string {
  const shown = loop.slice(0, 10).map((id) => JSON.stringify(id))
  const path =
    loop.length > 10
      ? `${shown.join(' → ')} → … (${loop.length} items)`
      : [...shown, shown[0]].join(' → ')

  return (
    `parent_id closes a loop of parents: ${path}; an item cannot sit ` +
    'under itself, so change one parent_id of the loop'
  )
}

/**
 * The loops among `parentOf` (item id → parent id), each once, starting at
 * the item the walk met first. Each item is walked once, so this is linear.
 */
function findLoops(parentOf: ReadonlyMap<string, string>): string[][] {
  const finished = new Set<string>()
  const loops: string[][] = []

  for (const start of parentOf.keys()) {
    const walk: string[] = []
    const onWalk = new Map<string, number>()
    let id: string | undefined = start
    while (id !== undefined && !finished.has(id) && !onWalk.has(id)) {
      onWalk.set(id, walk.length)
      walk.push(id)
      id = parentOf.get(id)
    }
    if (id !== undefined && onWalk.has(id)) {
      loops.push(walk.slice(onWalk.get(id)))
    }
    for (const visited of walk) finished.add(visited)
  }

  return loops
}

/** The 422 refusal listing `problems`, the first 100 of them in full. */
function invalidRoadmap(problems: Found[]): HttpProblem {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS)
  const more = problems.length - listed.length
  const lines = listed.map((p) => `${where(p.place)}${p.problem}`)
  if (more > 0) lines.push(`and ${more} more problems not listed here`)

  return new HttpProblem(
    422,
    'invalid-roadmap',
    'The roadmap import is not valid',
    `Nothing was imported. Fix these and send the whole import again: ` +
      `${lines.join('; ')}.`,
    {
      errors: listed.map(({ place: _place, ...problem }) => problem),
      error_count: problems.length,
    },
  )
}

function where(place: Place): string {
  const parts = [
    place.workspace && `workspace ${quoted(place.workspace)}`,
    place.item && `item ${quoted(place.item)}`,
  ].filter(Boolean)

  return parts.length === 0 ? '' : `${parts.join(' ')}: `
}

function quoted(label: Label): string {
  return label.fromId ? JSON.stringify(label.text) : label.text
}

/** Problems in the order of the body: by workspace, then by item. */
function sortByPlace(problems: Found[]): Found[] {
  const byIndex = (a?: Label, b?: Label) => (a?.index ?? -1) - (b?.index ?? -1)

  return problems.sort(
    (a, b) =>
      byIndex(a.place.workspace, b.place.workspace) ||
      byIndex(a.place.item, b.place.item),
  )
}

// zod can report one field twice (a type and a range, say); one will do.
function dropRepeats(problems: Found[]): Found[] {
  const seen = new Set<string>()

  return problems.filter((p) => {
    const key = JSON.stringify([p.workspace, p.item, p.field, p.problem])
    if (seen.has(key)) return false

    seen.add(key)

    return true
  })
}

function labelOf(raw: unknown, index: number): Label {
  const id = asObject(raw)?.id
  if (typeof id === 'string' && id !== '') {
    return { text: id, index, fromId: true }
  }

  return { text: `#${index}`, index, fromId: false }
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined

    value = (value as Record<PropertyKey, unknown>)[key]
  }

  return value
}

function describe(value: unknown): string {
  if (Array.isArray(value)) {
    return value.length === 0 ? 'an empty list' : `a list of ${value.length}`
  }
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  if (typeof value !== 'string') return String(value)

  const text = value.length > 60 ? `${value.slice(0, 60)}…` : value

  return JSON.stringify(text)
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (Array.isArray(value)) return undefined

  return value as Record<string, unknown>
}

function asList(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined
}
