/**
 * `<console>/feed/:id`: one event of the activity log in full, its payload,
 * the follow-up rule runs it set off and the events related to it; a
 * failed rule run can be run again from here.
 */
import type { FastifyInstance } from 'fastify'
import { retryRuleRun } from '../../follow-up/rule-run-retry.js'
import { HttpProblem } from '../../http/problem.js'
import { pathId } from '../../http/query-params.js'
import { findEventDetails } from '../../live-feed/feed-reading.js'
import type { ConsoleContext } from '../console-context.js'
import { consoleBase, renderPage } from '../console-views.js'
import { renderFeedRow, type RowView } from '../feed-rows.js'
import { shopTimeFormatter } from '../shop-time.js'

/** Registers the event page and its "Run again" action. */
export function eventPage(scope: FastifyInstance, context: ConsoleContext) {
  const page = `${context.config.basePath}/console/feed/:id`
  const time = shopTimeFormatter(context.config.shopTimeZone)
  const orm = context.database.orm

  scope.get(page, async (request, reply) => {
    const id = pathId(request, 'id')
    const details = await findEventDetails(orm, id)
    if (!details) throw noSuchEvent(id)

    const view: RowView = { base: consoleBase(request), time }
    const { retried } = request.query as { retried?: string }

    return renderPage(request, reply, './feed-event', {
      title: `Event #${id}`,
      ...details,
      payload: JSON.stringify(details.event.payload, null, 2),
      derivedRows: details.derived.map((event) => renderFeedRow(event, view)),
      parentRow:
        details.derivedFrom && renderFeedRow(details.derivedFrom, view),
      retried: details.ruleRuns.find((run) => String(run.id) === retried),
      time,
    })
  })

  scope.post(`${page}/rule-runs/:runId/retry`, async (request, reply) => {
    const eventId = pathId(request, 'id')
    const ruleRunId = pathId(request, 'runId')

    const outcome = await retryRuleRun(orm, context.jobs, {
      eventId,
      ruleRunId,
    })
    if (outcome.kind === 'not-found') throw noSuchRuleRun(eventId, ruleRunId)
    if (outcome.kind === 'not-failed') {
      throw new HttpProblem(
        409,
        'rule-run-not-failed',
        'Only a failed rule run can be run again',
        `Rule run ${ruleRunId} of event ${eventId} is ${outcome.status}, ` +
          'not failed, so it was left alone. Reload the event page to see ' +
          'where it is.',
      )
    }

    request.log.info(
      { eventId, ruleRunId, jobId: outcome.jobId },
      'an operator queued a failed rule run again',
    )
    const back = `${consoleBase(request)}/feed/${eventId}`

    return reply.redirect(`${back}?retried=${ruleRunId}`, 303)
  })
}

function noSuchEvent(id: number) {
  return new HttpProblem(
    404,
    'not-found',
    'No such event',
    `The activity log has no event ${id}; pick one from the live feed.`,
  )
}

function noSuchRuleRun(eventId: number, ruleRunId: number) {
  return new HttpProblem(
    404,
    'not-found',
    'No such rule run',
    `Event ${eventId} has no rule run ${ruleRunId}; open the event page ` +
      'to see its rule runs.',
  )
}
