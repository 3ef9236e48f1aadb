/**
 * The shop's inbox, read and tidied from the shop's own network.
 */
import { z } from 'zod'
import {
  INBOX_STATUSES,
  listInboxItems,
  setInboxStatus,
  type InboxItem,
  type InboxStatus,
} from '../shop/inbox.js'
import type { Orm } from '../storage/database.js'
import { HttpProblem } from '../http/problem.js'
import { pathId, queryInteger } from '../http/query-params.js'
import { readJsonObject } from '../http/request-body.js'
import type { Door } from './door.js'
import { NETWORK_ONLY } from './door-security.js'

/** What a PATCH may send, as a schema; `readInboxStatus` is the check. */
const STATUS_CHANGE = z.object({ status: z.enum(INBOX_STATUSES) })

/** `GET /api/inbox`: inbox items, newest first. */
export const inboxListDoor: Door = {
  id: 'inbox.list',
  section: 'service',
  path: '/api/inbox',
  methods: ['GET'],
  security: NETWORK_ONLY,
  purpose:
    'Lists inbox items, newest first. Query: status (new, seen, done, ' +
    'dismissed), limit (1-200, default 50), offset.',
  refusals: [{ status: 400, when: 'limit or offset is out of range.' }],
  handler: (context) => async (request) => {
    const query = request.query as Record<string, unknown>
    const status =
      query.status === undefined ? undefined : readInboxStatus(query.status)
    const limit = queryInteger(request, 'limit', 50, { min: 1, max: 200 })
    const offset = queryInteger(request, 'offset', 0, {
      min: 0,
      max: 1_000_000,
    })

    return {
      items: await listInboxItems(context.database.orm, {
        status,
        limit,
        offset,
      }),
    }
  },
}

/** `PATCH /api/inbox/:id`: moves an item to another status. */
export const inboxItemDoor: Door = {
  id: 'inbox.update',
  section: 'service',
  path: '/api/inbox/:id',
  methods: ['PATCH'],
  accepts: ['application/json'],
  security: NETWORK_ONLY,
  purpose:
    'Moves an inbox item to another status: {"status": "seen"}, "done" or ' +
    '"dismissed" (or back to "new").',
  requestBody: { schema: STATUS_CHANGE },
  refusals: [{ status: 404, when: 'There is no inbox item with that id.' }],
  handler: (context) => async (request) => {
    const id = pathId(request, 'id')
    const status = readInboxStatus(readJsonObject(request).status)

    return { item: await moveInboxItem(context.database.orm, id, status) }
  },
}

/**
 * Moves inbox item `id` to `status`, for this door and the console alike.
 *
 * @throws HttpProblem 404 when there is no such item.
 */
export async function moveInboxItem(
  orm: Orm,
  id: number,
  status: InboxStatus,
): Promise<InboxItem> {
  const item = await setInboxStatus(orm, id, status)
  if (!item) {
    throw new HttpProblem(
      404,
      'not-found',
      'No such inbox item',
      `There is no inbox item ${id}. GET /api/inbox lists them.`,
    )
  }

  return item
}

/**
 * `value` as an inbox status.
 *
 * @throws HttpProblem 422 naming the statuses there are.
 */
export function readInboxStatus(value: unknown): InboxStatus {
  if (INBOX_STATUSES.includes(value as InboxStatus)) return value as InboxStatus

  throw new HttpProblem(
    422,
    'invalid-status',
    'Unknown inbox status',
    `status must be one of ${INBOX_STATUSES.join(', ')}, got ` +
      `${JSON.stringify(value)}.`,
  )
}
