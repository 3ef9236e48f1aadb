/**
 * Every door of PressOS Inbound, in the order the PressOS webhooks page
 * lists them. The server registers routes from this list and nothing else.
 */
import { conversationDoor, conversationListDoor } from './conversation-doors.js'
import type { Door } from './door.js'
import { fileLinkDoor } from './file-link-door.js'
import {
  confirmationAckDoor,
  pendingConfirmationsDoor,
  printConfirmationIngestDoor,
  printInvoiceIngestDoor,
  workOrderIngestDoor,
} from './gmail-doors.js'
import { eventsDoor } from './events-door.js'
import { healthDoor, readinessDoor } from './health-doors.js'
import { inboxItemDoor, inboxListDoor } from './inbox-doors.js'
import { insightsDoor } from './insights-door.js'
import { openApiDoor } from './openapi-door.js'
import { pingDoor } from './ping-door.js'
import { staleCheckDoor } from './stale-check-door.js'
import { quoteDoor, quoteSnapshotDoor } from './pricing-doors.js'
import {
  pushKeyDoor,
  pushSubscriptionDoor,
  pushUnsubscribeDoor,
} from './push-subscription-doors.js'
import { roadmapIngestDoor, roadmapSnapshotsDoor } from './roadmap-doors.js'
import { smsInboundDoor, smsStatusDoor } from './twilio-sms-doors.js'
import { voicemailAliasDoor, voicemailDoor } from './voicemail-doors.js'

/** All doors. */
export const DOORS: readonly Door[] = [
  eventsDoor,
  pingDoor,
  voicemailDoor,
  voicemailAliasDoor,
  smsInboundDoor,
  smsStatusDoor,
  insightsDoor,
  quoteDoor,
  roadmapIngestDoor,
  workOrderIngestDoor,
  printInvoiceIngestDoor,
  printConfirmationIngestDoor,
  pendingConfirmationsDoor,
  confirmationAckDoor,
  staleCheckDoor,
  conversationListDoor,
  conversationDoor,
  inboxListDoor,
  inboxItemDoor,
  quoteSnapshotDoor,
  pushKeyDoor,
  pushSubscriptionDoor,
  pushUnsubscribeDoor,
  roadmapSnapshotsDoor,
  fileLinkDoor,
  healthDoor,
  readinessDoor,
  openApiDoor(() => DOORS),
]
