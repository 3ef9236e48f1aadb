/**
 * What each kind of follow-up action does. Actions that only touch the
 * database run inside the transaction that marks them done, so a retried
 * rule run never repeats them.
 */
import type { Notifier } from '../push/notifier.js'
import { createInboxItem } from '../shop/inbox.js'
import {
  parseCents,
  recordLedgerEntry,
  setWorkOrderStatus,
} from '../shop/work-orders.js'
import type { Orm } from '../storage/database.js'
import { pushNotifications } from '../storage/schema.js'
import type { IncomingEvent, StoredEvent } from '../live-feed/activity-log.js'
import { renderTemplate } from './event-templates.js'
import type { Action, EventFacts } from './rule-book.js'

/** An action that cannot succeed however often it is tried. */
export class ActionError extends Error {
  override name = 'ActionError'
}

/** The event, rule run and action an action runs for. */
export interface ActionScope {
  facts: EventFacts
  eventId: number
  ruleId: string
  ruleRunId: number
  actionIndex: number
}

/** What an action reports when done, kept in the rule run's results. */
export type ActionSummary = Record<string, unknown>

/** Stores a derived event in the caller's transaction. */
export type DerivedEventWriter = (
  tx: Orm,
  event: IncomingEvent,
) => Promise<StoredEvent>

/** Runs an action inside the transaction `tx`. */
export async function performStoredAction(
  tx: Orm,
  action: Exclude<Action, { type: 'push' }>,
  scope: ActionScope,
  writeDerived: DerivedEventWriter,
): Promise<ActionSummary> {
  switch (action.type) {
    case 'inbox_item':
      return addInboxItem(tx, action, scope)
    case 'set_work_order_status':
      return moveWorkOrder(tx, action, scope)
    case 'record_cost':
    case 'record_payment':
      return recordMoney(tx, action, scope)
    case 'emit_event':
      return emitEvent(tx, action, scope, writeDerived)
  }
}

async function addInboxItem(
  tx: Orm,
  action: Extract<Action, { type: 'inbox_item' }>,
  scope: ActionScope,
): Promise<ActionSummary> {
  const id = await createInboxItem(tx, {
    title: renderTemplate(action.title, scope.facts),
    body: action.body ? renderTemplate(action.body, scope.facts) : null,
    priority: action.priority,
    kind: action.kind ?? scope.facts.eventType,
    source: scope.facts.source,
    workOrderId: scope.facts.workOrderId,
    eventId: scope.eventId,
    tags: action.tags,
    ruleRunId: scope.ruleRunId,
    actionIndex: scope.actionIndex,
  })

  return { inbox_item_id: id }
}

async function moveWorkOrder(
  tx: Orm,
  action: Extract<Action, { type: 'set_work_order_status' }>,
  scope: ActionScope,
): Promise<ActionSummary> {
  const workOrderId = requireWorkOrder(action.work_order_id, scope)
  const from = await setWorkOrderStatus(tx, workOrderId, action.status, {
    eventId: scope.eventId,
    ruleRunId: scope.ruleRunId,
    actionIndex: scope.actionIndex,
  })

  return { work_order_id: workOrderId, from, to: action.status }
}

async function recordMoney(
  tx: Orm,
  action: Extract<Action, { type: 'record_cost' | 'record_payment' }>,
  scope: ActionScope,
): Promise<ActionSummary> {
  const workOrderId = requireWorkOrder(action.work_order_id, scope)
  const rendered = renderTemplate(action.amount_cents, scope.facts)
  const amountCents = parseCents(rendered)
  if (amountCents === undefined) {
    throw new ActionError(
      `rule "${scope.ruleId}" action ${scope.actionIndex + 1}: amount ` +
        `"${action.amount_cents}" gave "${rendered}", which is not a whole ` +
        'number of cents; the sender must send amounts in integer cents',
    )
  }

  const entryKind = action.type === 'record_cost' ? 'cost' : 'payment'
  const entryId = await recordLedgerEntry(
    tx,
    {
      workOrderId,
      entryKind,
      category: action.category,
      amountCents,
      currency: action.currency,
      memo: action.memo ? renderTemplate(action.memo, scope.facts) : null,
    },
    {
      eventId: scope.eventId,
      ruleRunId: scope.ruleRunId,
      actionIndex: scope.actionIndex,
    },
  )

  return { ledger_entry_id: entryId, entry_kind: entryKind, amountCents }
}

async function emitEvent(
  tx: Orm,
  action: Extract<Action, { type: 'emit_event' }>,
  scope: ActionScope,
  writeDerived: DerivedEventWriter,
): Promise<ActionSummary> {
  const data = Object.fromEntries(
    Object.entries(action.data).map(([key, template]) => [
      key,
      renderTemplate(template, scope.facts),
    ]),
  )
  const stored = await writeDerived(tx, {
    door: 'follow-up-rules',
    rawEventType: action.event_type,
    source: 'pressos.follow-up',
    workOrderId: data.work_order_id || scope.facts.workOrderId,
    payload: { event_type: action.event_type, data },
    // One derived event per rule run and action, however often it runs.
    dedupeKey: `rule-run:${scope.ruleRunId}:${scope.actionIndex}`,
    derivedFromEventId: scope.eventId,
  })

  return { event_id: stored.id, event_type: stored.eventType }
}

function requireWorkOrder(template: string, scope: ActionScope): string {
  const workOrderId = renderTemplate(template, scope.facts).trim()
  if (workOrderId === '') {
    throw new ActionError(
      `rule "${scope.ruleId}" action ${scope.actionIndex + 1} needs a work ` +
        `order, but "${template}" is empty for this event; send ` +
        'work_order_id with the event or change the rule',
    )
  }

  return workOrderId
}

/** Sends a push notification; it happens outside any transaction. */
export async function sendPush(
  notifier: Notifier,
  action: Extract<Action, { type: 'push' }>,
  scope: ActionScope,
) {
  const message = {
    title: renderTemplate(action.title, scope.facts),
    message: renderTemplate(action.message, scope.facts),
    priority: action.priority,
    tags: action.tags,
    ...(action.click
      ? { click: renderTemplate(action.click, scope.facts) }
      : {}),
  }
  await notifier.send(message)

  return message
}

/** Records a push notification that went out, in `tx`. */
export async function recordPush(
  tx: Orm,
  sent: Awaited<ReturnType<typeof sendPush>>,
  driver: string,
  scope: ActionScope,
): Promise<ActionSummary> {
  const [row] = await tx
    .insert(pushNotifications)
    .values({
      title: sent.title,
      message: sent.message,
      priority: sent.priority,
      tags: sent.tags,
      clickUrl: sent.click ?? null,
      driver,
      eventId: scope.eventId,
      ruleRunId: scope.ruleRunId,
      actionIndex: scope.actionIndex,
    })
    .onConflictDoNothing()
    .returning({ id: pushNotifications.id })

  return { push_notification_id: row?.id, driver }
}
