/**
 * The tables of PressOS Inbound. One schema serves the embedded database and
 * a PostgreSQL server alike; `npm run db:generate` turns changes here into a
 * new migration under `drizzle/`.
 *
 * Times are `timestamptz` (stored in UTC); money is integer cents.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core'

const createdAt = () =>
  timestamp('created_at', { withTimezone: true }).notNull().defaultNow()

const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()

/** Everything that came in through a door, and events derived from it. */
export const activityEvents = pgTable(
  'activity_events',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    door: text('door').notNull(),
    eventType: text('event_type'),
    rawEventType: text('raw_event_type').notNull(),
    recognised: boolean('recognised').notNull(),
    eventId: text('event_id'),
    source: text('source'),
    workOrderId: text('work_order_id'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
    dedupeKey: text('dedupe_key').unique(),
    bodySha256: text('body_sha256'),
    payload: jsonb('payload').notNull(),
    derivedFromEventId: bigint('derived_from_event_id', { mode: 'number' }),
    requestId: text('request_id'),
  },
  (table) => [
    index('activity_events_received_idx').on(table.receivedAt),
    index('activity_events_type_idx').on(table.eventType, table.receivedAt),
    index('activity_events_work_order_idx').on(table.workOrderId),
  ],
)

/** One follow-up rule matched against one event, and how running it went. */
export const ruleRuns = pgTable(
  'rule_runs',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    eventId: bigint('event_id', { mode: 'number' })
      .notNull()
      .references(() => activityEvents.id),
    ruleId: text('rule_id').notNull(),
    rule: jsonb('rule').notNull(),
    status: text('status').notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    jobId: uuid('job_id'),
    results: jsonb('results')
      .notNull()
      .default(sql`'[]'::jsonb`),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [
    unique('rule_runs_event_rule_key').on(table.eventId, table.ruleId),
    index('rule_runs_status_idx').on(table.status),
    check(
      'rule_runs_status_check',
      sql`${table.status} in ('queued', 'running', 'retrying', 'done', 'failed')`,
    ),
  ],
)

/** The shop's inbox: things a person should look at. */
export const inboxItems = pgTable(
  'inbox_items',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    title: text('title').notNull(),
    body: text('body'),
    priority: text('priority').notNull().default('normal'),
    status: text('status').notNull().default('new'),
    kind: text('kind'),
    source: text('source'),
    workOrderId: text('work_order_id'),
    eventId: bigint('event_id', { mode: 'number' }),
    ruleRunId: bigint('rule_run_id', { mode: 'number' }),
    actionIndex: integer('action_index'),
    links: jsonb('links')
      .notNull()
      .default(sql`'[]'::jsonb`),
    tags: jsonb('tags')
      .notNull()
      .default(sql`'[]'::jsonb`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    unique('inbox_items_action_key').on(table.ruleRunId, table.actionIndex),
    index('inbox_items_status_idx').on(table.status, table.createdAt),
    check(
      'inbox_items_status_check',
      sql`${table.status} in ('new', 'seen', 'done', 'dismissed')`,
    ),
    check(
      'inbox_items_priority_check',
      sql`${table.priority} in ('low', 'normal', 'high', 'urgent')`,
    ),
  ],
)

/** Work orders as far as the doors know them: an id and a status. */
export const workOrders = pgTable('work_orders', {
  id: text('id').primaryKey(),
  status: text('status').notNull(),
  statusChangedAt: timestamp('status_changed_at', { withTimezone: true })
    .notNull()
    .defaultNow(),
  createdAt: createdAt(),
})

/** Every status a work order was moved to, and what moved it. */
export const workOrderStatusChanges = pgTable(
  'work_order_status_changes',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    workOrderId: text('work_order_id').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    eventId: bigint('event_id', { mode: 'number' }),
    ruleRunId: bigint('rule_run_id', { mode: 'number' }),
    actionIndex: integer('action_index'),
    changedAt: timestamp('changed_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    unique('work_order_status_changes_action_key').on(
      table.ruleRunId,
      table.actionIndex,
    ),
    index('work_order_status_changes_order_idx').on(table.workOrderId),
  ],
)

/** Costs and payments recorded against work orders, in integer cents. */
export const workOrderLedger = pgTable(
  'work_order_ledger',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    workOrderId: text('work_order_id').notNull(),
    entryKind: text('entry_kind').notNull(),
    category: text('category').notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull().default('USD'),
    memo: text('memo'),
    eventId: bigint('event_id', { mode: 'number' }),
    ruleRunId: bigint('rule_run_id', { mode: 'number' }),
    actionIndex: integer('action_index'),
    recordedAt: timestamp('recorded_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    unique('work_order_ledger_action_key').on(
      table.ruleRunId,
      table.actionIndex,
    ),
    index('work_order_ledger_order_idx').on(table.workOrderId),
    check(
      'work_order_ledger_kind_check',
      sql`${table.entryKind} in ('cost', 'payment')`,
    ),
  ],
)

/** Push notifications sent to the shop's phones, and how sending went. */
export const pushNotifications = pgTable(
  'push_notifications',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    title: text('title').notNull(),
    message: text('message').notNull(),
    priority: text('priority').notNull(),
    tags: jsonb('tags')
      .notNull()
      .default(sql`'[]'::jsonb`),
    clickUrl: text('click_url'),
    driver: text('driver').notNull(),
    eventId: bigint('event_id', { mode: 'number' }),
    ruleRunId: bigint('rule_run_id', { mode: 'number' }),
    actionIndex: integer('action_index'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    unique('push_notifications_action_key').on(
      table.ruleRunId,
      table.actionIndex,
    ),
  ],
)
