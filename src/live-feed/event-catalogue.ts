/**
 * The canonical event types of the live feed, as PressOS lists them, and the
 * legacy snake_case names older tools still send.
 */

/** The 57 strings `POST /webhooks/events` accepts as `event_type`. */
export const CATALOGUE_EVENT_TYPES = [
  'cogs.blank_matched',
  'invoice.paid',
  'invoice.print_matched',
  'lead.disqualified',
  'lead.followup_needed',
  'lead.new_inquiry',
  'lead.qualified',
  'lead.response_drafted',
  'lead.response_sent',
  'mockup.approved',
  'mockup.created',
  'mockup.regression_failed',
  'mockup.rejected',
  'mockup.revision_requested',
  'mockup_approved',
  'mockup_created',
  'mockup_rejected',
  'pantone.confidence.low',
  'payment.invoice_sent',
  'payment.overdue',
  'payment.received',
  'payment.stripe_fee_matched',
  'print_confirmation.ready',
  'printpath.cogs.incomplete',
  'production.complete',
  'production.qc_check',
  'production.qc_failed',
  'production.qc_passed',
  'production.started',
  'production_complete',
  'production_started',
  'quote.accepted',
  'quote.expired',
  'quote.generated',
  'quote.sent',
  'separations.artwork_missing',
  'separations.complete',
  'separations.failed',
  'separations.started',
  'separations_created',
  'shipping.cost_matched',
  'shipping.delivered',
  'shipping.exception',
  'shipping.in_transit',
  'shipping.label_created',
  'shipping.picked_up',
  'twilio.sms.inbound',
  'twilio.sms.outbound',
  'twilio.sms.status',
  'voicemail.transcribed',
  'work_order.approved',
  'work_order.changes_requested',
  'work_order.created',
  'work_order.partner_confirmed',
  'work_order.rejected',
  'work_order.routed_to_partner',
  'work_order_created',
] as const

/** Legacy names and the dotted type each stands for. */
export const LEGACY_ALIASES: Readonly<Record<string, string>> = {
  mockup_approved: 'mockup.approved',
  mockup_created: 'mockup.created',
  mockup_rejected: 'mockup.rejected',
  production_complete: 'production.complete',
  production_started: 'production.started',
  // Older separation tools announce finished separations as "created".
  separations_created: 'separations.complete',
  work_order_created: 'work_order.created',
}

/**
 * Events the service logs itself beyond the page's catalogue: what its own
 * doors did. They are recognised, and follow-up rules may react to them.
 */
export const SERVICE_EVENT_TYPES = ['print_invoice.ingested'] as const

const KNOWN = new Set<string>([
  ...CATALOGUE_EVENT_TYPES,
  ...SERVICE_EVENT_TYPES,
])

/** Every dotted type rules may listen to, without the legacy names. */
export const CANONICAL_EVENT_TYPES: readonly string[] = [
  ...CATALOGUE_EVENT_TYPES.filter((type) => !(type in LEGACY_ALIASES)),
  ...SERVICE_EVENT_TYPES,
]

/**
 * The canonical type `raw` stands for, or undefined when the catalogue does
 * not know it.
 */
export function canonicalEventType(raw: string): string | undefined {
  if (!KNOWN.has(raw)) return undefined

  return LEGACY_ALIASES[raw] ?? raw
}
