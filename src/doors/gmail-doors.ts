/**
 * The mail doors, called by cron on the app host: pulls from the shop's
 * Gmail of work orders, print invoices and print confirmations, and the
 * hand-off of confirmations to PrintPath.
 */
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { requireApiKey } from '../guards/api-key.js'
import { HttpProblem } from '../http/problem.js'
import { publicUrl } from '../http/public-url.js'
import { queryInteger } from '../http/query-params.js'
import { readJsonObject } from '../http/request-body.js'
import {
  acknowledgeConfirmation,
  listPendingConfirmations,
} from '../mail/confirmation-handoff.js'
import { runIngest, type IngestPlan } from '../mail/ingest-run.js'
import type { MailContext } from '../mail/mail-context.js'
import { printConfirmationPlan } from '../mail/print-confirmation-mail.js'
import { printInvoicePlan } from '../mail/print-invoice-mail.js'
import { workOrderPlan } from '../mail/work-order-mail.js'
import type { Door, DoorContext, DoorSecurity } from './door.js'
import { requireMailbox } from './mailbox-access.js'

const API_KEY: DoorSecurity = {
  scheme: 'api-key',
  summary:
    'If you configured an invoice API key, callers must send that key in a ' +
    'header. Otherwise treat this URL as private (same as other ' +
    'cron-style triggers).',
  technical:
    'If INVOICE_WORKFLOW_API_KEY is set: header X-PressOS-Key must match; ' +
    'otherwise the client address must be in TRUSTED_NETWORKS.',
}

const GMAIL_REFUSALS = [
  {
    status: 503,
    when: 'Gmail is not configured here; the detail names the settings.',
  },
]

/** Pending confirmations listed at most, and by default. */
export const PENDING_LIMITS = { default: 100, max: 500 }

/** How far back pending confirmations are listed, in days. */
export const PENDING_DAYS = { default: 14, max: 365 }

/** `POST /api/gmail/ingest`. */
export const workOrderIngestDoor: Door = {
  id: 'api.gmail.ingest',
  section: 'automation',
  path: '/api/gmail/ingest',
  methods: ['POST'],
  security: {
    ...API_KEY,
    summary:
      'No extra header password—Gmail access uses OAuth tokens stored on ' +
      'the server, not in each request.',
  },
  purpose: 'Pulls Gmail threads that are labeled for creating work orders.',
  refusals: GMAIL_REFUSALS,
  handler: (context) => (request) => ingest(context, request, workOrderPlan),
}

/** `POST /api/gmail/ingest-print-invoices`. */
export const printInvoiceIngestDoor: Door = {
  id: 'api.gmail.ingest-print-invoices',
  section: 'automation',
  path: '/api/gmail/ingest-print-invoices',
  methods: ['POST'],
  security: API_KEY,
  purpose:
    'Emails with the Print Invoice label: PDF to storage, database row, ' +
    'label update.',
  refusals: GMAIL_REFUSALS,
  handler: (context) => (request) => ingest(context, request, printInvoicePlan),
}

/** `POST /api/gmail/ingest-print-confirmations`. */
export const printConfirmationIngestDoor: Door = {
  id: 'api.gmail.ingest-print-confirmations',
  section: 'automation',
  path: '/api/gmail/ingest-print-confirmations',
  methods: ['POST'],
  security: {
    ...API_KEY,
    summary:
      'Same API key as invoice/cron as configured in PressOS. Gmail must ' +
      'have labels Print Confirmation and Print Confirmation Complete ' +
      '(names configurable in PressOS via env).',
  },
  purpose:
    'Proof-approval emails: subject "Proof approval needed" + work order ' +
    'name, ≥2 PDFs → S3 PrintPartnerConfirmations/, Postgres row; queue ' +
    'label kept until ack (Photo/parens variants accepted).',
  refusals: GMAIL_REFUSALS,
  handler: (context) => (request) =>
    ingest(context, request, printConfirmationPlan),
}

/** `GET /api/print-confirmation-pdf-uploads`. */
export const pendingConfirmationsDoor: Door = {
  id: 'api.print-confirmation-pdf-uploads',
  section: 'automation',
  path: '/api/print-confirmation-pdf-uploads',
  methods: ['GET'],
  security: {
    ...API_KEY,
    summary:
      'PrintPath (or manual script) poll for pending handoffs; presigned ' +
      'S3 GET URLs in JSON.',
  },
  purpose:
    'List pending print-confirmation rows (not yet acked). Query: days ' +
    `(1-${PENDING_DAYS.max}, default ${PENDING_DAYS.default}), limit ` +
    `(1-${PENDING_LIMITS.max}, default ${PENDING_LIMITS.default}).`,
  refusals: [
    { status: 400, when: 'days or limit is not a whole number in range.' },
  ],
  handler: (context) => async (request) => {
    requireApiKey(
      request,
      context.config.invoiceWorkflowApiKeys,
      context.isTrustedNetwork,
    )

    const days = queryInteger(request, 'days', PENDING_DAYS.default, {
      min: 1,
      max: PENDING_DAYS.max,
    })
    const limit = queryInteger(request, 'limit', PENDING_LIMITS.default, {
      min: 1,
      max: PENDING_LIMITS.max,
    })
    const confirmations = await listPendingConfirmations(
      context.database.orm,
      context.fileStore,
      {
        days,
        limit,
        linkExpirySeconds: context.config.files.linkExpirySeconds,
        localBaseUrl: publicUrl(request, context.config, ''),
      },
    )

    return { days, limit, confirmations }
  },
}

/**
 * What `readAck` accepts, as a schema for the API description; `readAck`
 * (below) is the check. Change the two together.
 */
const ACK_FIELDS = z.object({
  gmail_thread_id: z.string().regex(/\S/),
  pressos_row_id: z
    .union([z.int().min(1), z.string().regex(/^[1-9]\d{0,14}$/)])
    .nullish(),
  printpath_confirmation_id: z.union([z.string(), z.number()]).nullish(),
})

/** `POST /api/print-confirmation-pdf-uploads/ack`. */
export const confirmationAckDoor: Door = {
  id: 'api.print-confirmation-pdf-uploads.ack',
  section: 'automation',
  path: '/api/print-confirmation-pdf-uploads/ack',
  methods: ['POST'],
  accepts: ['application/json'],
  security: {
    ...API_KEY,
    summary:
      'PrintPath calls after import; moves Gmail to Print Confirmation ' +
      'Complete.',
  },
  purpose:
    'Idempotent ack by gmail_thread_id; optional pressos_row_id and ' +
    'printpath_confirmation_id in JSON body.',
  requestBody: { schema: ACK_FIELDS },
  refusals: [
    ...GMAIL_REFUSALS,
    { status: 404, when: 'No print confirmation came from that thread.' },
    { status: 409, when: 'pressos_row_id is not the row of that thread.' },
  ],
  handler: (context) => async (request) => {
    requireApiKey(
      request,
      context.config.invoiceWorkflowApiKeys,
      context.isTrustedNetwork,
    )

    const ack = readAck(readJsonObject(request))
    const mail = mailContext(context, request)

    return acknowledgeConfirmation(mail, context.jobs, ack)
  },
}

async function ingest(
  context: DoorContext,
  request: FastifyRequest,
  planFor: (mail: MailContext) => IngestPlan,
) {
  requireApiKey(
    request,
    context.config.invoiceWorkflowApiKeys,
    context.isTrustedNetwork,
  )

  const mail = mailContext(context, request)
  const summary = await runIngest(
    mail.mailbox,
    mail.orm,
    planFor(mail),
    request.log,
  )
  request.log.info(
    {
      label: summary.label,
      seen: summary.seen,
      ingested: summary.ingested.length,
      skipped: summary.skipped.length,
      failed: summary.failed.length,
    },
    `Gmail "${summary.label}": ${summary.ingested.length} ingested, ` +
      `${summary.failed.length} failed`,
  )

  return summary
}

/** The mail context of a door, or 503 when Gmail is not configured. */
function mailContext(
  context: DoorContext,
  request: FastifyRequest,
): MailContext {
  return {
    mailbox: requireMailbox(context),
    store: context.fileStore,
    orm: context.database.orm,
    activityLog: context.activityLog,
    labels: context.config.gmail.labels,
    logger: request.log,
  }
}

function readAck(body: Record<string, unknown>) {
  const errors: { field: string; problem: string }[] = []
  const thread = body.gmail_thread_id
  const row = body.pressos_row_id
  const printpath = body.printpath_confirmation_id

  if (typeof thread !== 'string' || thread.trim() === '') {
    errors.push({ field: 'gmail_thread_id', problem: 'is required' })
  }
  if (row !== undefined && row !== null && !isRowId(row)) {
    errors.push({ field: 'pressos_row_id', problem: 'must be a row id' })
  }
  if (printpath !== undefined && printpath !== null) {
    if (typeof printpath !== 'string' && typeof printpath !== 'number') {
      errors.push({
        field: 'printpath_confirmation_id',
        problem: 'must be a string',
      })
    }
  }
  if (errors.length > 0) {
    throw new HttpProblem(
      422,
      'invalid-ack',
      'The acknowledgement is not valid',
      errors.map((e) => `${e.field} ${e.problem}`).join('; '),
      { errors },
    )
  }

  return {
    gmailThreadId: (thread as string).trim(),
    ...(isRowId(row) ? { pressosRowId: Number(row) } : {}),
    ...(printpath !== undefined && printpath !== null
      ? { printpathConfirmationId: String(printpath) }
      : {}),
  }
}

function isRowId(value: unknown): boolean {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
    (typeof value === 'string' && /^[1-9]\d{0,14}$/.test(value))
  )
}
