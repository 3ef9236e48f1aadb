/**
 * `<console>/conversations`: the shop's text conversations, most recently
 * active first, and every voicemail (callers who never texted included);
 * `<console>/conversations/:id` is one thread with its messages, voicemails
 * and the replies a person still has to write.
 */
import type { FastifyInstance } from 'fastify'
import { HttpProblem } from '../../http/problem.js'
import { pathId, queryInteger } from '../../http/query-params.js'
import {
  listConversations,
  readConversation,
} from '../../messaging/conversations.js'
import { listVoicemails } from '../../messaging/voicemail-transcriptions.js'
import type { ConsoleContext } from '../console-context.js'
import { renderPage } from '../console-views.js'
import { displayFormats } from '../display-formats.js'

/** Conversations shown on one page. */
const PAGE_SIZE = 50

/** Newest voicemails shown beside the conversations. */
const VOICEMAILS_SHOWN = 50

/** Registers the conversations page and the page of each conversation. */
export function conversationsPage(
  scope: FastifyInstance,
  context: ConsoleContext,
) {
  const page = `${context.config.basePath}/console/conversations`
  const orm = context.database.orm
  const formats = displayFormats(context.config.shopTimeZone)

  scope.get(page, async (request, reply) => {
    const offset = queryInteger(request, 'offset', 0, {
      min: 0,
      max: 1_000_000,
    })
    const conversations = await listConversations(orm, {
      limit: PAGE_SIZE,
      offset,
    })
    const full = conversations.length === PAGE_SIZE

    return renderPage(request, reply, './conversations', {
      title: 'Texts & voicemail',
      ...formats,
      conversations,
      voicemails: await listVoicemails(orm, {
        limit: VOICEMAILS_SHOWN,
        offset: 0,
      }),
      nextOffset: full ? offset + PAGE_SIZE : undefined,
    })
  })

  scope.get(`${page}/:id`, async (request, reply) => {
    const id = pathId(request, 'id')
    const thread = await readConversation(orm, id)
    if (!thread) {
      throw new HttpProblem(
        404,
        'not-found',
        'No such conversation',
        `There is no conversation ${id}. The Texts & voicemail page lists ` +
          'every conversation there is.',
      )
    }

    return renderPage(request, reply, './conversation', {
      title: `Texts with ${thread.conversation.customerNumber}`,
      ...formats,
      ...thread,
      pendingDrafts: thread.drafts.filter((d) => d.status === 'pending'),
    })
  })
}
