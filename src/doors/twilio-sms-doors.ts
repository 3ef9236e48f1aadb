/**
 * Twilio's text-message callbacks: customers' texts coming in, and delivery
 * receipts for the shop's texts going out.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { verifyTwilioCallback } from '../guards/twilio-signature.js'
import {
  INCOMING_TEXT_FIELDS,
  readIncomingText,
  readStatusReport,
  STATUS_REPORT_FIELDS,
} from '../messaging/twilio-callbacks.js'
import {
  receiveStatusReport,
  receiveText,
} from '../messaging/twilio-reception.js'
import type { Door, DoorContext } from './door.js'
import { twilioSecurity } from './door-security.js'

/** An empty TwiML answer: Twilio sends nothing back to the customer. */
export const EMPTY_TWIML = '<Response></Response>'

const TWILIO_BODIES = ['application/x-www-form-urlencoded', 'application/json']

/** `POST /webhooks/twilio/sms/inbound`. */
export const smsInboundDoor: Door = {
  id: 'twilio.sms.inbound',
  section: 'live-feed',
  path: '/webhooks/twilio/sms/inbound',
  methods: ['POST'],
  accepts: TWILIO_BODIES,
  security: twilioSecurity(
    'Twilio signs the request so only real Twilio traffic can post ' +
      'customer SMS here.',
  ),
  purpose:
    'Incoming SMS: saves the message, conversation, and reply draft ' +
    'queue; logs the event.',
  requestBody: { schema: INCOMING_TEXT_FIELDS },
  success: {
    status: 200,
    mediaType: 'text/xml',
    description: 'An empty TwiML answer: nothing is texted back.',
  },
  handler: (context) => (request, reply) =>
    receiveTextCallback(context, request, reply),
}

/** `POST /webhooks/twilio/sms/status`. */
export const smsStatusDoor: Door = {
  id: 'twilio.sms.status',
  section: 'live-feed',
  path: '/webhooks/twilio/sms/status',
  methods: ['POST'],
  accepts: TWILIO_BODIES,
  security: twilioSecurity(
    "Twilio signs the request so delivery status updates can't be forged.",
  ),
  purpose:
    'Delivery receipts (sent, delivered, failed, etc.) for outbound SMS.',
  requestBody: { schema: STATUS_REPORT_FIELDS },
  success: { status: 200, description: 'Received; the answer is empty.' },
  handler: (context) => (request, reply) =>
    receiveStatusCallback(context, request, reply),
}

async function receiveTextCallback(
  context: DoorContext,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const params = verifyTwilioCallback(request, context.config)
  const text = readIncomingText(params)

  const outcome = await context.database.orm.transaction((tx) =>
    receiveText(tx, text, (inner, event) =>
      context.activityLog.recordWithin(inner, event),
    ),
  )
  request.log.info(
    { messageSid: text.messageSid, ...outcome },
    outcome.repeated
      ? 'text repeated by Twilio; kept the first copy'
      : 'text received',
  )

  return reply.type('text/xml').send(EMPTY_TWIML)
}

async function receiveStatusCallback(
  context: DoorContext,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const params = verifyTwilioCallback(request, context.config)
  const report = readStatusReport(params)

  const outcome = await context.database.orm.transaction((tx) =>
    receiveStatusReport(tx, report, (inner, event) =>
      context.activityLog.recordWithin(inner, event),
    ),
  )
  request.log.info(
    { messageSid: report.messageSid, status: report.status, ...outcome },
    `delivery status ${report.status} ` +
      (outcome.changed ? 'applied' : 'kept; the message is further along'),
  )

  return reply.code(200).send()
}
