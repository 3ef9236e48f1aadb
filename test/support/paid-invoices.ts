/**
 * Paid invoices stored straight through the activity log, with a rule book
 * that gives each one rule run, and a job queue to put those runs on: for
 * tests of storing and relaying below the doors.
 */
import pino from 'pino'
import { parseRuleBook } from '../../src/follow-up/rule-book.js'
import { JobQueue } from '../../src/jobs/job-queue.js'
import type { IncomingEvent } from '../../src/live-feed/activity-log.js'
import type { Database } from '../../src/storage/database.js'

/** A logger that writes nothing, for the parts these tests build by hand. */
export const SILENT = pino({ level: 'silent' })

/** One rule, on `invoice.paid`: each new paid invoice makes one rule run. */
export const PAID_INVOICE_RULES = parseRuleBook(
  `
rules:
  - id: paid-invoice-to-inbox
    on: invoice.paid
    actions:
      - type: inbox_item
        title: "Invoice paid on {{work_order_id}}"
`,
  'paid-invoice-rules.yaml',
)

/** The paid invoice `eventId`, its body holding `extra` too. */
export function paidInvoice(eventId: string, extra = {}): IncomingEvent {
  const payload = { event_type: 'invoice.paid', event_id: eventId, ...extra }

  return {
    door: 'webhooks.events',
    rawEventType: 'invoice.paid',
    eventId,
    source: 'printpath',
    workOrderId: 'WO-1042',
    payload,
    dedupeKey: `event:${eventId}`,
    bodySha256: JSON.stringify(payload),
  }
}

/** A job queue on `database` that runs nothing until told to. */
export async function startJobQueue(database: Database): Promise<JobQueue> {
  let jobs!: JobQueue
  await database.migrate(async () => {
    jobs = await JobQueue.start(
      database,
      {
        retryLimit: 0,
        retryDelaySeconds: 1,
        timeoutSeconds: 60,
        concurrency: 1,
      },
      SILENT,
    )
  })

  return jobs
}
