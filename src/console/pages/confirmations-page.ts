/**
 * `<console>/confirmations`: print confirmations waiting for PrintPath and
 * those it acknowledged, with their PDFs, and the print invoices. It
 * answers "did PrintPath's call reach us, and what happened next?": when
 * its calls to the ack door last arrived and were refused, when each ack
 * came, and whether the Gmail label move that follows it has finished.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import {
  PENDING_DAYS,
  PENDING_LIMITS,
  confirmationAckDoor,
  pendingConfirmationsDoor,
} from '../../doors/gmail-doors.js'
import { publicUrl } from '../../http/public-url.js'
import {
  listAckedConfirmations,
  listPendingConfirmations,
} from '../../mail/confirmation-handoff.js'
import { listPrintInvoices } from '../../mail/print-invoices.js'
import type { ConsoleContext } from '../console-context.js'
import { renderPage } from '../console-views.js'
import { displayFormats } from '../display-formats.js'

/** Acknowledged confirmations and invoices shown, newest first. */
const RECENT_SHOWN = 50

/** Refusals of PrintPath's calls shown. */
const REFUSALS_SHOWN = 5

/** Registers the print confirmations page. */
export function confirmationsPage(
  scope: FastifyInstance,
  context: ConsoleContext,
) {
  const page = `${context.config.basePath}/console/confirmations`
  const formats = displayFormats(context.config.shopTimeZone)

  scope.get(page, async (request, reply) => {
    const lists = await readLists(context, request)

    return renderPage(request, reply, './confirmations', {
      title: 'Print confirmations',
      ...formats,
      ...lists,
      calls: await printPathCalls(context),
      labels: context.config.gmail.labels,
      pendingDays: PENDING_DAYS.max,
    })
  })
}

async function readLists(context: ConsoleContext, request: FastifyRequest) {
  const orm = context.database.orm
  const store = context.fileStore
  const links = {
    linkExpirySeconds: context.config.files.linkExpirySeconds,
    localBaseUrl: publicUrl(request, context.config, ''),
  }

  return {
    pending: await listPendingConfirmations(orm, store, {
      ...links,
      days: PENDING_DAYS.max,
      limit: PENDING_LIMITS.max,
    }),
    acked: await listAckedConfirmations(orm, store, {
      ...links,
      limit: RECENT_SHOWN,
    }),
    invoices: await listPrintInvoices(orm, store, {
      ...links,
      limit: RECENT_SHOWN,
    }),
  }
}

/** What PrintPath's calls to its two doors did over the last day. */
async function printPathCalls(context: ConsoleContext) {
  const activity = await context.doorJournal.activity()
  const ackId = confirmationAckDoor.id

  return {
    ack: activity.get(ackId),
    list: activity.get(pendingConfirmationsDoor.id),
    ackRefusals: await context.doorJournal.recentRefusals(
      ackId,
      REFUSALS_SHOWN,
    ),
  }
}
