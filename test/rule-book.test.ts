import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { DEFAULT_RULES_PATH } from '../src/config/environment.js'
import { renderTemplate } from '../src/follow-up/event-templates.js'
import {
  loadRuleBook,
  parseRuleBook,
  RuleBookError,
  type EventFacts,
} from '../src/follow-up/rule-book.js'

function factsOf(
  eventType: string,
  data: Record<string, unknown> = {},
): EventFacts {
  return {
    eventType,
    source: 'mockupdesk',
    workOrderId: 'WO-1042',
    payload: { event_type: eventType, data },
  }
}

/** The ids of the rules in `yaml` that match `facts`. */
function matchingIds(yaml: string, facts: EventFacts): string[] {
  return parseRuleBook(yaml, 'test.yaml')
    .matching(facts)
    .map((rule) => rule.id)
}

/** A one-rule book that opens an inbox item when `condition` holds. */
function bookWithCondition(condition: string): string {
  return `
rules:
  - id: checked
    on: payment.received
    when:
      - ${condition}
    actions:
      - type: inbox_item
        title: paid
`
}

function problemsOf(yaml: string): string[] {
  try {
    parseRuleBook(yaml, 'rules/follow-up-rules.yaml')
  } catch (error) {
    assert.ok(error instanceof RuleBookError)

    return [...error.problems]
  }

  return assert.fail('the rule book was accepted')
}

describe('the shipped rule book', () => {
  it('loads without problems', () => {
    const book = loadRuleBook(DEFAULT_RULES_PATH)

    assert.ok(book.rules.length > 0)
    assert.match(book.source, /follow-up-rules\.yaml$/)
  })

  it('opens an inbox item and pushes for a new inquiry', () => {
    const book = loadRuleBook(DEFAULT_RULES_PATH)
    const [rule] = book.matching(factsOf('lead.new_inquiry'))

    assert.deepEqual(
      rule?.actions.map((action) => action.type),
      ['inbox_item', 'push'],
    )
  })

  it('records a blank cost only when the amount came along', () => {
    const book = loadRuleBook(DEFAULT_RULES_PATH)
    const withAmount = factsOf('cogs.blank_matched', { amount_cents: 1250 })

    assert.deepEqual(
      book.matching(withAmount).map((rule) => rule.actions[0]),
      [
        {
          type: 'record_cost',
          amount_cents: '{{data.amount_cents}}',
          category: 'blanks',
          currency: 'USD',
          memo: '{{data.memo}}',
          work_order_id: '{{work_order_id}}',
        },
      ],
    )
    assert.deepEqual(book.matching(factsOf('cogs.blank_matched')), [])
  })

  it('refuses a missing file, naming the path and FOLLOW_UP_RULES', () => {
    assert.throws(
      () => loadRuleBook('/nowhere/follow-up-rules.yaml'),
      (error: unknown) =>
        error instanceof RuleBookError &&
        error.message.includes('/nowhere/follow-up-rules.yaml') &&
        error.message.includes('FOLLOW_UP_RULES'),
    )
  })
})

describe('matching rules to an event', () => {
  const twoRules = `
rules:
  - id: approved
    on: mockup.approved
    actions:
      - type: set_work_order_status
        status: approved_for_separations
  - id: changes
    on: [mockup.rejected, mockup.revision_requested]
    actions:
      - type: inbox_item
        title: changes asked
`

  it('picks the rules listening to the event type', () => {
    assert.deepEqual(matchingIds(twoRules, factsOf('mockup.approved')), [
      'approved',
    ])
    assert.deepEqual(
      matchingIds(twoRules, factsOf('mockup.revision_requested')),
      ['changes'],
    )
    assert.deepEqual(matchingIds(twoRules, factsOf('quote.sent')), [])
  })

  it('fills in the defaults a rule leaves out', () => {
    const [, changes] = parseRuleBook(twoRules, 'test.yaml').rules

    assert.deepEqual(changes?.actions[0], {
      type: 'inbox_item',
      title: 'changes asked',
      priority: 'normal',
      tags: [],
    })
  })

  const cases: [string, Record<string, unknown>, boolean][] = [
    ['{ path: data.method, equals: card }', { method: 'card' }, true],
    ['{ path: data.method, equals: card }', { method: 'check' }, false],
    ['{ path: data.method, not_equals: card }', { method: 'cash' }, true],
    ['{ path: data.method, not_equals: card }', { method: 'card' }, false],
    ['{ path: data.method, in: [card, ach] }', { method: 'ach' }, true],
    ['{ path: data.method, in: [card, ach] }', { method: 'cash' }, false],
    ['{ path: data.invoice_id, exists: true }', { invoice_id: 'I-7' }, true],
    ['{ path: data.invoice_id, exists: true }', {}, false],
    ['{ path: data.invoice_id, exists: false }', { invoice_id: null }, true],
    ['{ path: data.amount_cents, gt: 10000 }', { amount_cents: 10001 }, true],
    ['{ path: data.amount_cents, gt: 10000 }', { amount_cents: 10000 }, false],
    ['{ path: data.amount_cents, gte: 10000 }', { amount_cents: 10000 }, true],
    ['{ path: data.amount_cents, lt: 500 }', { amount_cents: '499' }, true],
    ['{ path: data.amount_cents, lt: 500 }', { amount_cents: 'lots' }, false],
    ['{ path: data.amount_cents, lte: 500 }', { amount_cents: 500 }, true],
    ['{ path: data.amount_cents, lte: 500 }', { amount_cents: 501 }, false],
    ['{ path: data.memo, contains: rush }', { memo: 'rush order' }, true],
    ['{ path: data.tags, contains: rush }', { tags: ['vip', 'rush'] }, true],
    ['{ path: data.memo, contains: rush }', { memo: 'standard' }, false],
    ['{ path: event_type, equals: payment.received }', {}, true],
    ['{ path: work_order_id, equals: WO-1042 }', {}, true],
    ['{ path: source, equals: stripe }', {}, false],
  ]
  for (const [condition, data, expected] of cases) {
    const verb = expected ? 'holds' : 'fails'
    it(`${verb}: ${condition} with data ${JSON.stringify(data)}`, () => {
      const facts = factsOf('payment.received', data)

      assert.deepEqual(
        matchingIds(bookWithCondition(condition), facts),
        expected ? ['checked'] : [],
      )
    })
  }
})

describe('checking the rule book', () => {
  it('refuses a legacy name in on, naming the dotted type to use', () => {
    const problems = problemsOf(`
rules:
  - id: mockup-approved
    on: mockup_approved
    actions:
      - type: inbox_item
        title: approved
`)

    assert.deepEqual(problems, [
      'rules/follow-up-rules.yaml: rule "mockup-approved": on: ' +
        '"mockup_approved" is a legacy name; write "mockup.approved" instead',
    ])
  })

  it('suggests the nearest known type for a misspelt one', () => {
    const problems = problemsOf(`
rules:
  - id: inquiry
    on: lead.new_inquery
    actions:
      - type: inbox_item
        title: new lead
`)

    assert.match(problems[0] ?? '', /did you mean "lead\.new_inquiry"\?/)
  })

  it('refuses an unknown action type, naming the rule and its place', () => {
    const problems = problemsOf(`
rules:
  - id: lead-inquiry
    on: lead.new_inquiry
    actions:
      - type: inbox_item
        title: new lead
      - type: emial
`)

    assert.deepEqual(problems, [
      'rules/follow-up-rules.yaml: rule "lead-inquiry" action 2: unknown ' +
        'action type "emial" (allowed: inbox_item, set_work_order_status, ' +
        'record_cost, record_payment, push, emit_event)',
    ])
  })

  it('refuses two rules with the same id', () => {
    const rule = `
  - id: inquiry
    on: lead.new_inquiry
    actions:
      - type: inbox_item
        title: new lead`
    const problems = problemsOf(`rules:${rule}${rule}`)

    assert.deepEqual(problems, [
      'rules/follow-up-rules.yaml: rule id "inquiry" is used by rules 1 ' +
        'and 2; give each rule its own id',
    ])
  })

  it('names the line of a YAML syntax error', () => {
    const problems = problemsOf(`rules:
  - id: inquiry
    on: lead: new_inquiry
    actions: []
`)

    assert.equal(problems.length, 1)
    assert.match(problems[0] ?? '', /^rules\/follow-up-rules\.yaml: YAML /)
    assert.match(problems[0] ?? '', / at line 3, column \d+: /)
  })

  it('refuses a placeholder with a missing brace', () => {
    const problems = problemsOf(`
rules:
  - id: inquiry
    on: lead.new_inquiry
    actions:
      - type: inbox_item
        title: "New inquiry from {{data.customer.name}"
`)

    assert.deepEqual(problems, [
      'rules/follow-up-rules.yaml: rule "inquiry" action 1: title has a ' +
        'placeholder that cannot be read in "New inquiry from ' +
        '{{data.customer.name}"; write placeholders like ' +
        '{{data.customer.name}}',
    ])
  })

  it('lists every problem of the file, one a line', () => {
    const problems = problemsOf(`
rules:
  - id: payment
    on: payment.received
    when:
      - { path: data.amount_cents, gt: 0, lt: 100 }
    actions:
      - type: record_payment
        amount_cents: 12.50
        category: deposit
      - type: push
        title: paid
        message: paid
        priority: loud
`)

    assert.deepEqual(problems, [
      'rules/follow-up-rules.yaml: rule "payment" condition 1: give the ' +
        'condition only one test, got gt and lt; write one condition for each',
      'rules/follow-up-rules.yaml: rule "payment" action 1: amount_cents ' +
        'must be whole cents like 2500, or one placeholder like ' +
        '"{{data.amount_cents}}", got "12.5"',
      'rules/follow-up-rules.yaml: rule "payment" action 2: priority must ' +
        'be one of low, normal, high, urgent, got "loud"',
    ])
  })
})

describe('rendering templates', () => {
  const facts = factsOf('lead.new_inquiry', {
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    items: [{ sku: 'G500-BLK' }],
  })

  it('fills in nested paths and the canonical fields', () => {
    const text = renderTemplate(
      '{{data.customer.name}} ({{data.items.0.sku}}) on {{work_order_id}}',
      facts,
    )

    assert.equal(text, 'Ada Lovelace (G500-BLK) on WO-1042')
  })

  it('leaves a missing value blank', () => {
    const text = renderTemplate('phone: [{{data.customer.phone}}]', facts)

    assert.equal(text, 'phone: []')
  })

  it('allows spaces inside the braces', () => {
    assert.equal(renderTemplate('{{ event_type }}', facts), 'lead.new_inquiry')
  })

  it('writes a mapping as JSON', () => {
    assert.equal(
      renderTemplate('{{data.items}}', facts),
      '[{"sku":"G500-BLK"}]',
    )
  })
})
