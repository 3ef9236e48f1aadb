/**
 * `<console>/notifications`: turns on browser push for this browser, lists
 * the browsers that get the shop's reminders, and sends a test.
 */
import type { FastifyInstance } from 'fastify'
import {
  readEndpointToRemove,
  readSubscription,
  requireWebPush,
} from '../../doors/push-subscription-doors.js'
import { HttpProblem } from '../../http/problem.js'
import { readJsonObject } from '../../http/request-body.js'
import {
  listPushSubscriptions,
  removePushSubscription,
  removePushSubscriptionById,
  savePushSubscription,
} from '../../push/push-subscriptions.js'
import { sessionOf } from '../console-access.js'
import type { ConsoleContext } from '../console-context.js'
import { consoleBase, renderPage } from '../console-views.js'

/** Registers the notifications page and its actions. */
export function notificationsPage(
  scope: FastifyInstance,
  context: ConsoleContext,
) {
  const page = `${context.config.basePath}/console/notifications`
  const orm = context.database.orm

  scope.get(page, async (request, reply) => {
    const { sent } = request.query as { sent?: string }

    return renderPage(request, reply, './notifications', {
      title: 'Notifications',
      webPushKey: context.config.push.webPush?.publicKey,
      ntfy: context.config.push.ntfyUrl !== undefined,
      browsers: await listPushSubscriptions(orm),
      sent: sent === 'test',
      zone: context.config.shopTimeZone,
    })
  })

  scope.post(`${page}/subscriptions`, async (request, reply) => {
    requireWebPush(context)
    const subscription = readSubscription(readJsonObject(request), request)
    const id = await savePushSubscription(orm, subscription)
    request.log.info(
      { subscriptionId: id, host: new URL(subscription.endpoint).host },
      'a console browser turned on push notifications',
    )

    return reply.code(201).send({ id })
  })

  scope.post(`${page}/subscriptions/remove`, async (request) => {
    const endpoint = readEndpointToRemove(readJsonObject(request))

    return { removed: await removePushSubscription(orm, endpoint) }
  })

  scope.post(`${page}/browsers/:id/remove`, async (request, reply) => {
    const id = Number((request.params as { id: string }).id)
    if (
      !Number.isSafeInteger(id) ||
      !(await removePushSubscriptionById(orm, id))
    ) {
      throw new HttpProblem(
        404,
        'not-found',
        'No such browser',
        `No browser with id ${(request.params as { id: string }).id} gets ` +
          'notifications; it may have been removed already.',
      )
    }

    return reply.redirect(`${consoleBase(request)}/notifications`, 303)
  })

  scope.post(`${page}/test`, async (request, reply) => {
    const report = await context.notifier.sendReport({
      title: 'PressOS test notification',
      message:
        `Sent from the console by ${sessionOf(request)?.userName}. ` +
        'Reminders arrive like this.',
      priority: 'normal',
      tags: ['bell'],
    })
    request.log.info({ report }, 'test notification sent from the console')

    return reply.redirect(
      `${consoleBase(request)}/notifications?sent=test`,
      303,
    )
  })
}
