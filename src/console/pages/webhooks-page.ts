/**
 * `<console>/webhooks`: the console's home. Every door of the registry with
 * its address on this deployment, who may call it and whether that is set
 * up, a request to copy, and what reached it in the last day.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Door } from '../../doors/door.js'
import { publicUrl } from '../../http/public-url.js'
import {
  CATALOGUE_EVENT_TYPES,
  LEGACY_ALIASES,
} from '../../live-feed/event-catalogue.js'
import type { ConsoleContext } from '../console-context.js'
import { consoleBase, renderPage } from '../console-views.js'
import { groupDoors } from '../door-rows.js'

/** Registers the webhooks page. */
export function webhooksPage(scope: FastifyInstance, context: ConsoleContext) {
  const page = `${context.config.basePath}/console/webhooks`

  scope.get(page, async (request, reply) => {
    const groups = groupDoors({
      doors: context.doors,
      config: context.config,
      priceList: context.priceList,
      activity: await context.doorJournal.activity(),
      urlOf: (door) => doorUrl(request, context, door),
    })

    return renderPage(request, reply, './webhooks', {
      title: 'Webhooks',
      groups,
      rejected: `${consoleBase(request)}/rejected`,
      eventTypes: CATALOGUE_EVENT_TYPES,
      aliases: LEGACY_ALIASES,
      networks: context.config.trustedNetworks,
    })
  })
}

// Twilio signs the URL it calls, which a proxy may hide from the service:
// TWILIO_WEBHOOK_PUBLIC_BASE_URL names it when set.
function doorUrl(
  request: FastifyRequest,
  context: ConsoleContext,
  door: Door,
): string {
  const { config } = context
  const twilioBase =
    door.security.scheme === 'twilio-signature'
      ? config.twilioWebhookPublicBaseUrl
      : undefined
  const publicBaseUrl = twilioBase ?? config.publicBaseUrl

  return publicUrl(
    request,
    { publicBaseUrl, basePath: config.basePath },
    door.path,
  )
}
