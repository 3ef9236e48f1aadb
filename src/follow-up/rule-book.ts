/**
 * The follow-up rule book: the YAML file in which the shop writes what
 * PressOS does after an event arrives (open an inbox item, move a work
 * order, record a cost or a payment, buzz the phones, announce another
 * event). This module reads that file, checks it against the schema in
 * rules-file-schema.ts, and answers which rules an event matches. Carrying
 * out the actions is the follow-up job's work.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

import { LineCounter, parseDocument, type YAMLError } from 'yaml'

import { canonicalEventType } from '../live-feed/event-catalogue.js'
import { conditionHolds } from './rule-conditions.js'
import { RULE_FILE } from './rules-file-schema.js'
import {
  describeIssue,
  findDuplicateIds,
  placeProblem,
} from './rules-file-problems.js'

/** What rules see of an event: the stored JSON body plus canonical fields. */
export interface EventFacts {
  /** Canonical dotted type, like `lead.new_inquiry`. */
  eventType: string
  source: string | null
  workOrderId: string | null
  /** The whole JSON body as sent, with `data`, `event_type` and the rest. */
  payload: Record<string, unknown>
}

/** How loudly an inbox item or a push notification asks for attention. */
export type Priority = 'low' | 'normal' | 'high' | 'urgent'

/**
 * One thing a rule does. Fields called templates may hold placeholders like
 * `{{data.customer.name}}` that `renderTemplate` (event-templates.ts) fills
 * in from the event: title, body, message, click, status, memo,
 * work_order_id, amount_cents and the values of `data`. The other fields
 * are taken as written.
 */
export type Action =
  | {
      type: 'inbox_item'
      title: string
      body?: string
      priority: Priority
      kind?: string
      tags: string[]
    }
  | {
      type: 'set_work_order_status'
      status: string
      /** Template; `{{work_order_id}}` unless the rule says otherwise. */
      work_order_id: string
    }
  | {
      type: 'record_cost' | 'record_payment'
      /** Whole cents, or one placeholder that renders to whole cents. */
      amount_cents: string
      category: string
      /** Three capital letters; `USD` unless the rule says otherwise. */
      currency: string
      memo?: string
      work_order_id: string
    }
  | {
      type: 'push'
      title: string
      message: string
      priority: Priority
      tags: string[]
      click?: string
    }
  | {
      type: 'emit_event'
      /** A canonical dotted type. */
      event_type: string
      data: Record<string, string>
    }

/**
 * A test on one value of the event, found by `path` (see `valueAt` in
 * event-templates.ts). It holds exactly one operator. `equals`,
 * `not_equals`, `in` and `contains` compare without converting types; `gt`,
 * `gte`, `lt` and `lte` also accept a value sent as numeric text;
 * `exists: false` holds for a missing value and for null. Evaluated by
 * `conditionHolds` in rule-conditions.ts.
 */
export interface Condition {
  path: string
  equals?: unknown
  not_equals?: unknown
  in?: unknown[]
  exists?: boolean
  gt?: number
  gte?: number
  lt?: number
  lte?: number
  /** Part of a text value, or one item of a list value. */
  contains?: string
}

/** One rule of the book: when it applies, and what it does then. */
export interface Rule {
  id: string
  description?: string
  /** Canonical event types the rule listens to. */
  on: string[]
  /** Conditions that must all hold; none means always. */
  when: Condition[]
  actions: Action[]
}

/** Raised for a rule book that cannot be used; one line a problem. */
export class RuleBookError extends Error {
  override name = 'RuleBookError'

  /** Every problem found, each naming the file it was found in. */
  readonly problems: readonly string[]

  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(problems.join('\n'), options)
    this.problems = problems
  }
}

/** The checked rules of one file. */
export class RuleBook {
  readonly rules: Rule[]
  /** The file the rules came from, as shown in messages. */
  readonly source: string

  constructor(rules: Rule[], source: string) {
    this.rules = rules
    this.source = source
  }

  /** The rules that listen to the event's type and whose conditions hold. */
  matching(facts: EventFacts): Rule[] {
    const type = canonicalEventType(facts.eventType) ?? facts.eventType

    return this.rules.filter(
      (rule) =>
        rule.on.includes(type) &&
        rule.when.every((condition) => conditionHolds(condition, facts)),
    )
  }
}

/**
 * Reads and checks the rules in `text`.
 *
 * @param source the file name to put in front of every message.
 * @throws RuleBookError listing every problem found, one a line.
 */
export function parseRuleBook(text: string, source: string): RuleBook {
  const document = readYaml(text, source)
  const parsed = RULE_FILE.safeParse(document, { error: describeIssue })
  const problems = [
    ...(parsed.error?.issues ?? []).map((issue) =>
      placeProblem(source, document, issue.path, issue.message),
    ),
    ...findDuplicateIds(document).map((line) => `${source}: ${line}`),
  ]
  if (!parsed.success || problems.length > 0) {
    throw new RuleBookError(problems)
  }

  return new RuleBook(parsed.data.rules, source)
}

/**
 * Reads and checks the rule book at `filePath`.
 *
 * @throws RuleBookError when the file cannot be read or holds problems.
 */
export function loadRuleBook(filePath: string): RuleBook {
  let text: string
  try {
    text = readFileSync(filePath, 'utf8')
  } catch (error) {
    throw new RuleBookError(
      [
        `cannot read the follow-up rules at ${filePath} ` +
          `(${describeReadFailure(error)}); point FOLLOW_UP_RULES at the ` +
          `rules file, or unset it to use the shipped ` +
          `rules/follow-up-rules.yaml`,
      ],
      { cause: error },
    )
  }

  return parseRuleBook(text, shortPath(filePath))
}

function readYaml(text: string, source: string): unknown {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false })
  if (document.errors.length > 0) {
    throw new RuleBookError(
      document.errors.map((error) => yamlProblem(error, lineCounter, source)),
    )
  }

  return document.toJS()
}

function yamlProblem(
  error: YAMLError,
  lineCounter: LineCounter,
  source: string,
): string {
  const { line, col } = lineCounter.linePos(error.pos[0])
  const reason = error.message.split('\n')[0]

  return (
    `${source}: YAML syntax error at line ${line}, column ${col}: ` +
    `${reason}; check the indentation and quotes on that line`
  )
}

function describeReadFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a folder',
  }

  return (code && words[code]) ?? code ?? String(error)
}

function shortPath(filePath: string): string {
  const relative = path.relative(process.cwd(), filePath)
  const outside = relative.startsWith('..') || path.isAbsolute(relative)

  return outside || relative === '' ? filePath : relative
}
