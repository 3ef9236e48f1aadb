/**
 * `POST /api/roadmap/ingest` keeps a snapshot of each workspace's roadmap
 * (PressOS Progress, sent by cron on the app host); `GET
 * /api/roadmap/snapshots` reads the newest ones, or one workspace's history.
 */
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from '../http/problem.js'
import { queryInteger } from '../http/query-params.js'
import { readJsonObject } from '../http/request-body.js'
import { readRoadmapImport, ROADMAP_IMPORT } from '../roadmap/roadmap-import.js'
import {
  latestSnapshots,
  storeRoadmapImport,
  workspaceHistory,
} from '../roadmap/roadmap-snapshots.js'
import type { Door, DoorContext } from './door.js'
import { NETWORK_ONLY } from './door-security.js'

/** Snapshots of one workspace's history listed at most, and by default. */
const HISTORY_LIMITS = { min: 1, max: 100, default: 20 }

/**
 * The roadmap import. A workspace may hold 20000 items, but the whole body
 * must also fit in MAX_BODY_BYTES (1 MiB unless raised).
 */
export const roadmapIngestDoor: Door = {
  id: 'api.roadmap.ingest',
  section: 'automation',
  path: '/api/roadmap/ingest',
  methods: ['POST'],
  accepts: ['application/json'],
  security: {
    ...NETWORK_ONLY,
    summary:
      'This URL does not ask for a password inside the app. Only trusted ' +
      'machines on your network (or localhost) should be able to reach it.',
    technical:
      'None in app (protect via network / cron only): the client address ' +
      'must be in TRUSTED_NETWORKS.',
  },
  purpose:
    'Bulk-imports workspace roadmaps into snapshots (PressOS Progress / ' +
    'roadmap sync).',
  requestBody: { schema: ROADMAP_IMPORT },
  success: {
    status: 201,
    mediaType: 'application/json',
    description: 'The snapshot kept of each workspace.',
  },
  handler: (context) => async (request, reply) => {
    const body = readJsonObject(request)
    const { workspaces } = readRoadmapImport(body)
    const snapshots = await storeRoadmapImport(context.database.orm, workspaces)
    request.log.info(
      {
        workspaces: snapshots.length,
        items: snapshots.reduce((sum, s) => sum + s.item_count, 0),
      },
      'roadmap imported',
    )

    return reply.code(201).send({ snapshots })
  },
}

/** `GET /api/roadmap/snapshots`. */
export const roadmapSnapshotsDoor: Door = {
  id: 'api.roadmap.snapshots',
  section: 'service',
  path: '/api/roadmap/snapshots',
  methods: ['GET'],
  security: NETWORK_ONLY,
  purpose:
    'The newest roadmap snapshot of every workspace; with ?workspace=ID, ' +
    `that workspace's snapshots, newest first, each with the items added, ` +
    `removed or moved since the one before. Query: limit ` +
    `(${HISTORY_LIMITS.min}-${HISTORY_LIMITS.max}, default ` +
    `${HISTORY_LIMITS.default}).`,
  refusals: [
    { status: 400, when: 'workspace or limit is not usable.' },
    { status: 404, when: 'No roadmap of that workspace was imported.' },
  ],
  handler: (context) => async (request) => {
    const workspace = readWorkspaceQuery(request)
    if (workspace === undefined) {
      return { workspaces: await latestSnapshots(context.database.orm) }
    }

    const snapshots = await readHistory(context, request, workspace)

    return { workspace, snapshots }
  },
}

async function readHistory(
  context: DoorContext,
  request: FastifyRequest,
  workspace: string,
) {
  const limit = queryInteger(
    request,
    'limit',
    HISTORY_LIMITS.default,
    HISTORY_LIMITS,
  )
  const history = await workspaceHistory(context.database.orm, workspace, limit)
  if (!history) {
    throw new HttpProblem(
      404,
      'not-found',
      'No such workspace',
      `No roadmap of workspace ${JSON.stringify(workspace)} was ever ` +
        'imported. Check the id against GET /api/roadmap/snapshots, which ' +
        'lists every imported workspace.',
    )
  }

  return history
}

/**
 * The `workspace` of the query, or undefined when absent.
 *
 * @throws HttpProblem 400 when it is given twice, empty or holds a NUL.
 */
function readWorkspaceQuery(request: FastifyRequest): string | undefined {
  const value = (request.query as Record<string, unknown>).workspace
  if (value === undefined) return undefined
  // No stored id holds a NUL, and PostgreSQL cannot even compare with one.
  if (typeof value === 'string' && value !== '' && !value.includes('\0')) {
    return value
  }

  throw new HttpProblem(
    400,
    'bad-query',
    'Bad query parameter',
    `workspace must be one workspace id, got ${JSON.stringify(value)}. ` +
      'Leave it out to list the newest snapshot of every workspace.',
  )
}
