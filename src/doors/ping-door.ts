/**
 * `GET|POST /webhooks/ping`: a reachability check that also tells whoever
 * wires a tool where and how to send events. It never shows a secret.
 */
import { WEBHOOK_SECRET_VARIABLES } from '../guards/webhook-secret.js'
import { publicUrl } from '../http/public-url.js'
import { CATALOGUE_EVENT_TYPES } from '../live-feed/event-catalogue.js'
import type { Door } from './door.js'
import { eventsDoor } from './events-door.js'

/** The reachability door. */
export const pingDoor: Door = {
  id: 'webhooks.ping',
  section: 'live-feed',
  path: '/webhooks/ping',
  methods: ['GET', 'POST'],
  security: {
    scheme: 'none',
    summary:
      'No secret required—this is only a quick "is the server reachable?" ' +
      'check.',
    technical: 'None (reachability check). The body of a POST is ignored.',
  },
  purpose:
    'Returns a small JSON response with hints for configuring the main ' +
    'webhook URL.',
  handler: (context) => async (request) => ({
    ok: true,
    service: 'pressos-inbound',
    version: context.version,
    time: new Date().toISOString(),
    webhook: {
      url: publicUrl(request, context.config, eventsDoor.path),
      method: 'POST',
      content_type: 'application/json',
      secret_header: 'X-Webhook-Secret',
      secret_configured: context.config.webhookSecrets.length > 0,
      secret_variables: WEBHOOK_SECRET_VARIABLES,
      idempotency_header: 'Idempotency-Key',
      example_body: {
        event_type: 'lead.new_inquiry',
        event_id: 'your-tool-event-id',
        source: 'your-tool',
        work_order_id: 'WO-1042',
        occurred_at: '2026-12-03T14:05:00-05:00',
        data: {},
      },
      event_types: CATALOGUE_EVENT_TYPES,
    },
  }),
}
