/**
 * The shop's inbox, read and tidied from the shop's own network.
 */
import {
  INBOX_STATUSES,
  listInboxItems,
  setInboxStatus,
  type InboxStatus,
} from '../shop/inbox.js'
import { HttpProblem } from '../http/problem.js'
import { pathId, queryInteger } from '../http/query-params.js'
import { readJsonObject } from '../http/request-body.js'
import type { Door } from './door.js'
import { NETWORK_ONLY } from './door-security.js'

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
  handler: (context) => async (request) => {
    const query = request.query as Record<string, unknown>
    const status =
      query.status === undefined ? undefined : readStatus(query.status)
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
  handler: (context) => async (request) => {
    const id = pathId(request, 'id')
    const status = readStatus(readJsonObject(request).status)
    const item = await setInboxStatus(context.database.orm, id, status)
    if (!item) {
      throw new HttpProblem(
        404,
        'not-found',
        'No such inbox item',
        `There is no inbox item ${id}. GET /api/inbox lists them.`,
      )
    }

    return { item }
  },
}

function readStatus(value: unknown): InboxStatus {
  if (INBOX_STATUSES.includes(value as InboxStatus)) return value as InboxStatus

  throw new HttpProblem(
    422,
    'invalid-status',
    'Unknown inbox status',
    `status must be one of ${INBOX_STATUSES.join(', ')}, got ` +
      `${JSON.stringify(value)}.`,
  )
}
