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
  primaryKey,
  doublePrecision,
  text,
  timestamp,
  unique,
  uuid,
  date,
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
    // The rule runs still waiting for their job (see rule-run-relay.ts).
    index('rule_runs_unqueued_idx')
      .on(table.id)
      .where(sql`${table.jobId} is null`),
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
    confidence: doublePrecision('confidence'),
    graphNodeId: text('graph_node_id'),
    graphNodeLabel: text('graph_node_label'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    unique('inbox_items_action_key').on(table.ruleRunId, table.actionIndex),
    index('inbox_items_graph_node_idx').on(table.graphNodeId),
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
  name: text('name'),
  customerName: text('customer_name'),
  customerEmail: text('customer_email'),
  description: text('description'),
  gmailThreadId: text('gmail_thread_id').unique(),
  createdAt: createdAt(),
})

/** Files that came with a work order. */
export const workOrderAttachments = pgTable(
  'work_order_attachments',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    workOrderId: text('work_order_id')
      .notNull()
      .references(() => workOrders.id),
    fileKey: text('file_key').notNull().unique(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    createdAt: createdAt(),
  },
  (table) => [index('work_order_attachments_order_idx').on(table.workOrderId)],
)

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

/** A text thread between one of the shop's numbers and a customer. */
export const conversations = pgTable(
  'conversations',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    shopNumber: text('shop_number').notNull(),
    customerNumber: text('customer_number').notNull(),
    optedOut: boolean('opted_out').notNull().default(false),
    optedOutAt: timestamp('opted_out_at', { withTimezone: true }),
    lastMessageAt: timestamp('last_message_at', { withTimezone: true }),
    unreadCount: integer('unread_count').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    unique('conversations_numbers_key').on(
      table.shopNumber,
      table.customerNumber,
    ),
    index('conversations_last_message_idx').on(table.lastMessageAt),
  ],
)

/** Text messages in and out, keyed by Twilio's MessageSid. */
export const smsMessages = pgTable(
  'sms_messages',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    messageSid: text('message_sid').notNull().unique(),
    conversationId: bigint('conversation_id', { mode: 'number' }).references(
      () => conversations.id,
    ),
    direction: text('direction').notNull(),
    fromNumber: text('from_number'),
    toNumber: text('to_number'),
    body: text('body'),
    numMedia: integer('num_media').notNull().default(0),
    status: text('status').notNull(),
    statusRank: integer('status_rank').notNull(),
    errorCode: text('error_code'),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
    params: jsonb('params').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('sms_messages_conversation_idx').on(
      table.conversationId,
      table.createdAt,
    ),
    check(
      'sms_messages_direction_check',
      sql`${table.direction} in ('inbound', 'outbound')`,
    ),
  ],
)

/** Pictures and files sent with a text message. */
export const smsMedia = pgTable(
  'sms_media',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    messageId: bigint('message_id', { mode: 'number' })
      .notNull()
      .references(() => smsMessages.id),
    position: integer('position').notNull(),
    url: text('url').notNull(),
    contentType: text('content_type'),
  },
  (table) => [
    unique('sms_media_position_key').on(table.messageId, table.position),
  ],
)

/** Every delivery status Twilio reported, in the order it arrived. */
export const smsStatusReports = pgTable(
  'sms_status_reports',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    messageSid: text('message_sid').notNull(),
    status: text('status').notNull(),
    errorCode: text('error_code'),
    params: jsonb('params').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    unique('sms_status_reports_key').on(table.messageSid, table.status),
  ],
)

/** Replies waiting for a person to write, check and send. */
export const replyDrafts = pgTable(
  'reply_drafts',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    conversationId: bigint('conversation_id', { mode: 'number' })
      .notNull()
      .references(() => conversations.id),
    inboundMessageId: bigint('inbound_message_id', { mode: 'number' })
      .notNull()
      .unique()
      .references(() => smsMessages.id),
    status: text('status').notNull().default('pending'),
    body: text('body'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index('reply_drafts_status_idx').on(table.status, table.createdAt),
    check(
      'reply_drafts_status_check',
      sql`${table.status} in ('pending', 'sent', 'discarded')`,
    ),
  ],
)

/** Voicemails left on the shop's numbers, with Twilio's transcription. */
export const voicemails = pgTable(
  'voicemails',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    transcriptionSid: text('transcription_sid').notNull().unique(),
    transcriptionText: text('transcription_text'),
    transcriptionStatus: text('transcription_status').notNull(),
    recordingSid: text('recording_sid'),
    recordingUrl: text('recording_url'),
    callSid: text('call_sid'),
    fromNumber: text('from_number'),
    toNumber: text('to_number'),
    conversationId: bigint('conversation_id', { mode: 'number' }).references(
      () => conversations.id,
    ),
    params: jsonb('params').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('voicemails_conversation_idx').on(
      table.conversationId,
      table.createdAt,
    ),
  ],
)

/** Idempotency-Keys seen by each door, and the answer given to each. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    door: text('door').notNull(),
    key: text('key').notNull(),
    bodySha256: text('body_sha256').notNull(),
    state: text('state').notNull(),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    responseType: text('response_type'),
    lockedAt: timestamp('locked_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.door, table.key] }),
    index('idempotency_keys_expires_idx').on(table.expiresAt),
    check(
      'idempotency_keys_state_check',
      sql`${table.state} in ('processing', 'done')`,
    ),
  ],
)

/** Priced quotes, with the request, the result and the price list used. */
export const pricingQuotes = pgTable(
  'pricing_quotes',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    request: jsonb('request').notNull(),
    result: jsonb('result').notNull(),
    priceListVersion: text('price_list_version').notNull(),
    totalCents: bigint('total_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    source: text('source'),
    createdAt: createdAt(),
  },
  (table) => [index('pricing_quotes_created_idx').on(table.createdAt)],
)

/** Gmail threads being or done being ingested, one claim per door's kind. */
export const mailIngests = pgTable(
  'mail_ingests',
  {
    kind: text('kind').notNull(),
    gmailThreadId: text('gmail_thread_id').notNull(),
    state: text('state').notNull(),
    lockedAt: timestamp('locked_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [
    primaryKey({ columns: [table.kind, table.gmailThreadId] }),
    check(
      'mail_ingests_state_check',
      sql`${table.state} in ('processing', 'done')`,
    ),
  ],
)

/** A file kept from an email, as listed on the row it belongs to. */
export interface KeptFile {
  key: string
  fileName: string
  contentType: string
  sizeBytes: number
  sha256: string
}

/** Print invoices from the print partners, pulled from Gmail. */
export const printInvoices = pgTable('print_invoices', {
  id: bigint('id', { mode: 'number' })
    .primaryKey()
    .generatedByDefaultAsIdentity(),
  gmailThreadId: text('gmail_thread_id').notNull().unique(),
  gmailMessageId: text('gmail_message_id').notNull(),
  senderName: text('sender_name'),
  senderEmail: text('sender_email').notNull(),
  subject: text('subject').notNull(),
  sentAt: timestamp('sent_at', { withTimezone: true }),
  files: jsonb('files').$type<KeptFile[]>().notNull(),
  createdAt: createdAt(),
})

/** Proof approvals from print partners, waiting to be handed to PrintPath. */
export const printConfirmations = pgTable(
  'print_confirmations',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    gmailThreadId: text('gmail_thread_id').notNull().unique(),
    gmailMessageId: text('gmail_message_id').notNull(),
    workOrderName: text('work_order_name').notNull(),
    subject: text('subject').notNull(),
    senderEmail: text('sender_email').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    files: jsonb('files').$type<KeptFile[]>().notNull(),
    status: text('status').notNull().default('pending'),
    ackedAt: timestamp('acked_at', { withTimezone: true }),
    printpathConfirmationId: text('printpath_confirmation_id'),
    labelMovedAt: timestamp('label_moved_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    index('print_confirmations_pending_idx').on(table.status, table.receivedAt),
    check(
      'print_confirmations_status_check',
      sql`${table.status} in ('pending', 'acked')`,
    ),
  ],
)

/** Browsers of the shop's people that asked for push notifications. */
export const pushSubscriptions = pgTable('push_subscriptions', {
  id: bigint('id', { mode: 'number' })
    .primaryKey()
    .generatedByDefaultAsIdentity(),
  endpoint: text('endpoint').notNull().unique(),
  p256dh: text('p256dh').notNull(),
  auth: text('auth').notNull(),
  label: text('label'),
  userAgent: text('user_agent'),
  lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
  createdAt: createdAt(),
})

/** One workspace's roadmap as one import found it. */
export const roadmapSnapshots = pgTable(
  'roadmap_snapshots',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    workspaceId: text('workspace_id').notNull(),
    workspaceName: text('workspace_name'),
    itemCount: integer('item_count').notNull(),
    /** Overall progress in basis points: 10000 is done. */
    progressBasisPoints: integer('progress_basis_points').notNull(),
    countsByStatus: jsonb('counts_by_status')
      .$type<Record<string, number>>()
      .notNull(),
    takenAt: timestamp('taken_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    index('roadmap_snapshots_workspace_idx').on(
      table.workspaceId,
      table.takenAt,
    ),
  ],
)

/** The items of a roadmap snapshot. */
export const roadmapItems = pgTable(
  'roadmap_items',
  {
    snapshotId: bigint('snapshot_id', { mode: 'number' })
      .notNull()
      .references(() => roadmapSnapshots.id),
    itemId: text('item_id').notNull(),
    position: integer('position').notNull(),
    title: text('title').notNull(),
    status: text('status').notNull(),
    /** Progress in basis points, when the item reports it. */
    progressBasisPoints: integer('progress_basis_points'),
    done: integer('done'),
    total: integer('total'),
    owner: text('owner'),
    dueDate: date('due_date'),
    parentItemId: text('parent_item_id'),
  },
  (table) => [primaryKey({ columns: [table.snapshotId, table.itemId] })],
)

/** Reminders sent about stale inbox threads. */
export const staleReminders = pgTable(
  'stale_reminders',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    staleCount: integer('stale_count').notNull(),
    thresholdHours: integer('threshold_hours').notNull(),
    threads: jsonb('threads').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('stale_reminders_sent_idx').on(table.sentAt)],
)

/**
 * The latest refusals of each door, with why, from where and the headers
 * minus secrets. Kept to a bounded number per door.
 */
export const doorRefusals = pgTable(
  'door_refusals',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedByDefaultAsIdentity(),
    doorId: text('door_id').notNull(),
    status: integer('status').notNull(),
    /** The problem type's short name: `bad-signature`, `network-refused`. */
    reason: text('reason').notNull(),
    detail: text('detail').notNull(),
    method: text('method').notNull(),
    url: text('url').notNull(),
    clientAddress: text('client_address').notNull(),
    headers: jsonb('headers').notNull(),
    requestId: text('request_id').notNull(),
    refusedAt: timestamp('refused_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    index('door_refusals_door_idx').on(table.doorId, table.refusedAt),
    index('door_refusals_refused_idx').on(table.refusedAt),
  ],
)

/** Requests and refusals per door, hour and reason; kept for a few days. */
export const doorTraffic = pgTable(
  'door_traffic',
  {
    doorId: text('door_id').notNull(),
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    /** `ok` for answered requests, else the refusal's reason. */
    outcome: text('outcome').notNull(),
    requests: integer('requests').notNull(),
    lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.doorId, table.hour, table.outcome] }),
    index('door_traffic_hour_idx').on(table.hour),
  ],
)

/** Signed-in console sessions; the cookie holds the token, never stored. */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    /** SHA-256 of the session token, hex. */
    tokenHash: text('token_hash').primaryKey(),
    userName: text('user_name').notNull(),
    /** Secret behind the session's CSRF tokens. */
    csrfSecret: text('csrf_secret').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('console_sessions_expires_idx').on(table.expiresAt)],
)
