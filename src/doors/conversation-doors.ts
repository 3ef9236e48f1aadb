/**
 * Reads of the shop's text conversations, for the console and for scripts
 * on the shop's own network.
 */
import { HttpProblem } from '../http/problem.js'
import { pathId, queryInteger } from '../http/query-params.js'
import {
  listConversations,
  readConversation,
} from '../messaging/conversations.js'
import type { Door } from './door.js'
import { NETWORK_ONLY } from './door-security.js'

/** `GET /api/conversations`: conversations, most recently active first. */
export const conversationListDoor: Door = {
  id: 'conversations.list',
  section: 'service',
  path: '/api/conversations',
  methods: ['GET'],
  security: NETWORK_ONLY,
  purpose:
    'Lists text conversations with their unread count, opt-out and pending ' +
    'reply drafts. Query: limit (1-200, default 50), offset.',
  refusals: [{ status: 400, when: 'limit or offset is out of range.' }],
  handler: (context) => async (request) => {
    const limit = queryInteger(request, 'limit', 50, { min: 1, max: 200 })
    const offset = queryInteger(request, 'offset', 0, {
      min: 0,
      max: 1_000_000,
    })

    return {
      conversations: await listConversations(context.database.orm, {
        limit,
        offset,
      }),
    }
  },
}

/** `GET /api/conversations/:id`: one thread with everything in it. */
export const conversationDoor: Door = {
  id: 'conversations.read',
  section: 'service',
  path: '/api/conversations/:id',
  methods: ['GET'],
  security: NETWORK_ONLY,
  purpose:
    "One conversation with its messages and their media, the caller's " +
    'voicemails and the reply drafts, oldest first.',
  refusals: [{ status: 404, when: 'There is no conversation with that id.' }],
  handler: (context) => async (request) => {
    const id = pathId(request, 'id')
    const thread = await readConversation(context.database.orm, id)
    if (!thread) {
      throw new HttpProblem(
        404,
        'not-found',
        'No such conversation',
        `There is no conversation ${id}. GET /api/conversations lists them.`,
      )
    }

    return thread
  },
}
