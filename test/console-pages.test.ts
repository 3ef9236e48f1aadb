import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import { parseRuleBook } from '../src/follow-up/rule-book.js'
import { printConfirmations, printInvoices } from '../src/storage/schema.js'
import {
  CONSOLE_TEST_PASSWORD,
  signIn,
  type SignedIn,
} from './support/console-session.js'
import { elementWith, textOf } from './support/html-elements.js'
import { ROUND_PRICES } from './support/round-prices.js'
import { ENGINES, query, resetTables } from './support/test-database.js'
import {
  startTestService,
  waitFor,
  type TestService,
} from './support/test-service.js'
import {
  incomingTextParams,
  sendTwilioCallback,
  TWILIO_TOKEN,
} from './support/twilio-callbacks.js'

const BASE = '/pressos'
const CONSOLE = `${BASE}/console`
const ORIGIN = 'http://shop.local:3000'
const SHOP = '+15035550100'
const CUSTOMER = '+15035550199'
const PRINTPATH_KEY = 'printpath-key-2b7'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** Texts from customers become inbox items, as a shop's rules might say. */
const RULES = parseRuleBook(
  `
rules:
  - id: text-to-inbox
    on: twilio.sms.inbound
    actions:
      - type: inbox_item
        title: "Text from {{data.from}}"
        kind: customer_text
`,
  'console-pages.yaml',
)

const INSIGHT = {
  title: 'Reorder navy blanks for Lincoln High',
  body: 'Stock runs out before the Friday run.',
  source: 'printbrain',
  kind: 'inventory',
  confidence: 0.9,
  links: [{ url: 'https://printbrain.example/i/77', label: 'Stock chart' }],
  tags: ['blanks', 'navy'],
  graph_node: { id: 'node-42', label: 'Lincoln High' },
}

/** 24 black hoodies, 2 of them 2XL, two locations, in a rush. */
const HOODIES = {
  customer: 'Lincoln High Boosters',
  reference: 'MD-5521',
  source: 'mockupdesk',
  items: [
    {
      style: 'Independent SS4500',
      colour: 'Black',
      dark: true,
      blank_cost_cents: 1000,
      sizes: { M: 10, L: 12, '2XL': 2 },
      locations: [
        { name: 'back', colours: 1 },
        { name: 'front', colours: 2 },
      ],
    },
  ],
  rush: true,
}

for (const engine of ENGINES) {
  describe(`the console pages of the shop’s data on ${engine}`, () => {
    let t: TestService
    let browser: SignedIn

    before(async () => {
      t = await startTestService(engine, {
        ruleBook: RULES,
        priceList: ROUND_PRICES,
        env: {
          BASE_PATH: BASE,
          CONSOLE_PASSWORD: CONSOLE_TEST_PASSWORD,
          TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
          INVOICE_WORKFLOW_API_KEY: PRINTPATH_KEY,
          SHOP_TIME_ZONE: 'America/Los_Angeles',
          CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE: '1000',
        },
      })
    })
    after(() => t.close())
    beforeEach(async () => {
      await resetTables(t.database)
      browser = await signIn(t.service.app, BASE)
    })

    /** The HTML of a console page, which must answer 200. */
    async function page(path: string): Promise<string> {
      const response = await browser.request({
        method: 'GET',
        url: CONSOLE + path,
        headers: { accept: 'text/html' },
      })
      assert.equal(response.statusCode, 200, `GET ${path}: ${response.body}`)

      return response.body
    }

    /** Posts an insight through its door; returns the inbox item's id. */
    async function postInsight(fields: Record<string, unknown> = {}) {
      const response = await t.service.app.inject({
        method: 'POST',
        url: `${BASE}/api/inbox/insights`,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        payload: JSON.stringify({ ...INSIGHT, ...fields }),
      })
      assert.equal(response.statusCode, 201, response.body)

      return response.json().item.id as number
    }

    function pressButton(id: number | string, form: Record<string, string>) {
      return browser.request({
        method: 'POST',
        url: `${CONSOLE}/inbox/${id}/status?kind=inventory`,
        headers: FORM,
        payload: new URLSearchParams(form).toString(),
      })
    }

    async function statusOf(id: number): Promise<string> {
      const [row] = await query<{ status: string }>(
        t.database,
        `select status from inbox_items where id = ${id}`,
      )

      return row!.status
    }

    function text(params: Record<string, string> = {}) {
      return sendTwilioCallback(t.service.app, {
        calledUrl: `${ORIGIN}${BASE}/webhooks/twilio/sms/inbound`,
        params: incomingTextParams(params),
      })
    }

    function voicemail(from: string, sid: string, words: string) {
      return sendTwilioCallback(t.service.app, {
        calledUrl: `${ORIGIN}${BASE}/webhooks/twilio/voicemail-transcription`,
        params: {
          AccountSid: 'AC00000000000000000000000000000000',
          CallSid: `CA${sid}`,
          From: from,
          To: SHOP,
          RecordingSid: `RE${sid}`,
          RecordingUrl: `https://api.twilio.com/Recordings/RE${sid}`,
          TranscriptionSid: `TR${sid}`,
          TranscriptionStatus: 'completed',
          TranscriptionText: words,
        },
      })
    }

    describe('inbox', () => {
      it('shows an insight with its source, graph node, links, tags and confidence', async () => {
        const id = await postInsight()

        const item = elementWith(await page('/inbox'), 'data-inbox-item-id', id)

        assert.ok(item, 'the insight has its own entry')
        const words = textOf(item)
        assert.match(words, /Reorder navy blanks for Lincoln High/)
        assert.match(words, /\bnew\b.*inventory.*from printbrain/)
        assert.match(words, /Graph node Lincoln High \(node-42\)/)
        assert.match(words, /confidence 90%/)
        assert.match(words, /Tags blanks navy/)
        assert.match(
          item,
          /<a href="https:\/\/printbrain\.example\/i\/77"[^>]*>Stock chart<\/a>/,
        )
        assert.match(item, /datetime="\d{4}-\d\d-\d\dT[\d:.]+Z"/)
        assert.match(words, /P[SD]T/, 'the time names the shop’s zone')
      })

      it('shows the items follow-up rules made', async () => {
        await text({ From: CUSTOMER })
        const [made] = await waitFor(async () => {
          const rows = await query<{ id: number }>(
            t.database,
            'select id::int from inbox_items',
          )

          return rows.length > 0 && rows
        }, 'the rule to make an inbox item')

        const item = elementWith(
          await page('/inbox'),
          'data-inbox-item-id',
          made!.id,
        )

        assert.match(textOf(item!), /Text from \+15035550199/)
        assert.match(textOf(item!), /customer_text.*from twilio/)
        assert.match(textOf(item!), /follow-up rule run \d+, for event \d+/)
      })

      it('marks an item done through its form and goes back to the same filter', async () => {
        const id = await postInsight()

        const response = await pressButton(id, {
          _csrf: browser.csrf,
          status: 'done',
        })

        assert.equal(response.statusCode, 303)
        assert.equal(
          response.headers.location,
          `${CONSOLE}/inbox?status=new&status=seen&kind=inventory` +
            `&changed=${id}%3Adone`,
        )
        assert.equal(await statusOf(id), 'done')
        const open = await page(
          response.headers.location!.slice(CONSOLE.length),
        )
        assert.equal(elementWith(open, 'data-inbox-item-id', id), undefined)
        assert.match(open, new RegExp(`Item ${id} is now done`))
        const done = elementWith(
          await page('/inbox?status=done'),
          'data-inbox-item-id',
          id,
        )
        assert.match(done!, /data-status="done"/)
      })

      it('refuses the form without the CSRF token and leaves the item alone', async () => {
        const id = await postInsight()

        const response = await pressButton(id, { status: 'done' })

        assert.equal(response.statusCode, 403)
        assert.equal(response.json().title, 'The form is out of date')
        assert.equal(await statusOf(id), 'new')
      })

      it('refuses an unknown status with 422 and an unknown item with 404', async () => {
        const id = await postInsight()

        const unknownStatus = await pressButton(id, {
          _csrf: browser.csrf,
          status: 'archived',
        })
        const unknownItem = await pressButton(999_999, {
          _csrf: browser.csrf,
          status: 'done',
        })

        assert.equal(unknownStatus.statusCode, 422)
        assert.match(unknownStatus.json().detail, /new, seen, done, dismissed/)
        assert.equal(await statusOf(id), 'new')
        assert.equal(unknownItem.statusCode, 404)
        assert.match(
          String(unknownItem.headers['content-type']),
          /^application\/problem\+json/,
        )
      })

      it('offers Seen, Done and Dismiss, each a form with the CSRF token', async () => {
        const id = await postInsight()

        const html = await page('/inbox')
        const pageToken = /data-csrf="([^"]+)"/.exec(html)![1]!
        const item = elementWith(html, 'data-inbox-item-id', id)!
        const forms = [...item.matchAll(/<form[\s\S]*?<\/form>/g)].map(
          (m) => m[0],
        )

        assert.deepEqual(
          forms.map((form) => textOf(form)),
          ['Seen', 'Done', 'Dismiss'],
        )
        for (const form of forms) {
          assert.match(form, /method="post"/)
          assert.match(
            form,
            new RegExp(`action="${CONSOLE}/inbox/${id}/status`),
          )
          assert.ok(form.includes(`name="_csrf" value="${pageToken}"`))
        }
      })
    })

    describe('texts & voicemail', () => {
      it('lists conversations with unread counts, replies needed and opt-out', async () => {
        await text({ From: CUSTOMER, Body: 'Can you do 48 hoodies?' })
        await text({ From: CUSTOMER, Body: 'By Friday?' })
        await text({ From: '+15035550177', Body: 'STOP' })
        const rows = await query<{ id: number; customer_number: string }>(
          t.database,
          'select id::int, customer_number from conversations',
        )
        const idOf = (number: string) =>
          rows.find((row) => row.customer_number === number)!.id

        const html = await page('/conversations')
        const asking = elementWith(
          html,
          'data-conversation-id',
          idOf(CUSTOMER),
        )!
        const stopped = elementWith(
          html,
          'data-conversation-id',
          idOf('+15035550177'),
        )!

        assert.match(
          textOf(asking),
          /\+15035550199 \+15035550100 .* 2 unread 2 Can text/,
        )
        assert.match(asking, new RegExp(`href="${CONSOLE}/conversations/\\d+"`))
        assert.match(textOf(stopped), /Opted out/)
      })

      it('shows a conversation’s texts, media, delivery, voicemail and reply queue', async () => {
        await text({
          From: CUSTOMER,
          Body: 'Here is the art',
          NumMedia: '1',
          MediaUrl0: 'https://api.twilio.com/Media/ME1',
          MediaContentType0: 'image/png',
        })
        await sendTwilioCallback(t.service.app, {
          calledUrl: `${ORIGIN}${BASE}/webhooks/twilio/sms/status`,
          params: {
            AccountSid: 'AC00000000000000000000000000000000',
            MessageSid: 'SMout0001',
            MessageStatus: 'delivered',
            From: SHOP,
            To: CUSTOMER,
          },
        })
        await voicemail(CUSTOMER, '0001', 'Calling about the hoodie art.')
        const [conversation] = await query<{ id: number }>(
          t.database,
          'select id::int from conversations',
        )

        const html = await page(`/conversations/${conversation!.id}`)

        const incoming = html.match(
          /<li id="message-\d+" class="message inbound"[\s\S]*?<\/li>\s*<\/ul>\s*<\/li>/,
        )
        assert.ok(incoming, 'the incoming text is listed')
        assert.match(
          textOf(incoming[0]),
          /From the customer .* received Here is the art/,
        )
        assert.match(
          incoming[0],
          /<a href="https:\/\/api\.twilio\.com\/Media\/ME1"[^>]*>Attachment 1<\/a>/,
        )
        const outgoing = elementWith(html, 'data-direction', 'outbound')!
        assert.match(textOf(outgoing), /From the shop .* delivered/)
        assert.match(textOf(html), /Reply needed to the text of/)
        assert.match(textOf(html), /“?Calling about the hoodie art\./)
      })

      it('lists voicemails, those of unknown callers too', async () => {
        await voicemail('+15035550142', '0002', 'Hi, this is Dana.')

        const html = await page('/conversations')
        const [row] = await query<{ id: number }>(
          t.database,
          'select id::int from voicemails',
        )

        const listed = textOf(elementWith(html, 'data-voicemail-id', row!.id)!)
        assert.match(listed, /\+15035550142/)
        assert.match(listed, /Hi, this is Dana\./)
      })
    })

    describe('print confirmations', () => {
      it('shows pending and acknowledged confirmations, the label move and PrintPath’s calls', async () => {
        const files = [
          {
            key: 'PrintPartnerConfirmations/t1/m1/0/front.pdf',
            fileName: 'front.pdf',
            contentType: 'application/pdf',
            sizeBytes: 2048,
            sha256: 'a'.repeat(64),
          },
        ]
        const received = new Date(Date.now() - 3_600_000)
        await t.database.orm.insert(printConfirmations).values([
          confirmation('t-waiting', 'Smith Tees', files, received),
          {
            ...confirmation('t-moved', 'Lincoln High', files, received),
            status: 'acked',
            ackedAt: new Date(),
            printpathConfirmationId: 'pp-77',
            labelMovedAt: new Date(),
          },
          {
            ...confirmation('t-stuck', 'Riverside Rowing', files, received),
            status: 'acked',
            ackedAt: new Date(),
          },
        ])
        await t.database.orm.insert(printInvoices).values({
          gmailThreadId: 'inv-1',
          gmailMessageId: 'inv-1-m',
          senderEmail: 'billing@printpartner.example',
          subject: 'Invoice 3301',
          files,
        })
        const refused = await t.service.app.inject({
          method: 'POST',
          url: `${BASE}/api/print-confirmation-pdf-uploads/ack`,
          headers: {
            'content-type': 'application/json',
            'x-pressos-key': 'wrong-key',
          },
          payload: JSON.stringify({ gmail_thread_id: 't-waiting' }),
        })
        assert.equal(refused.statusCode, 401)

        const html = await page('/confirmations')
        const ids = await query<{ id: number; gmail_thread_id: string }>(
          t.database,
          'select id::int, gmail_thread_id from print_confirmations',
        )
        const row = (thread: string) =>
          elementWith(
            html,
            'data-confirmation-id',
            ids.find((r) => r.gmail_thread_id === thread)!.id,
          )!

        assert.match(row('t-waiting'), /data-status="pending"/)
        assert.match(
          textOf(row('t-waiting')),
          /Smith Tees .* t-waiting front\.pdf/,
        )
        assert.match(
          row('t-waiting'),
          /<a href="http:\/\/localhost(:\d+)?\/pressos\/[^"]*front\.pdf\?expires=\d+&amp;signature=[0-9a-f]+"/,
        )
        assert.match(
          textOf(row('t-moved')),
          /pp-77 Moved to “Print Confirmation Complete”/,
        )
        assert.match(textOf(row('t-stuck')), /Move pending/)
        assert.match(row('t-stuck'), /data-field="acked-at"><time datetime=/)
        const calls = textOf(elementWith(html, 'data-field', 'ack-calls')!)
        assert.match(calls, /last call .* 0 answered, 1 refused/)
        assert.match(textOf(html), /Latest refused acknowledgements .* 401/)
        assert.match(textOf(html), /Invoice 3301 billing@printpartner\.example/)
      })
    })

    describe('quotes', () => {
      it('lists a priced quote with its customer and total, and shows its lines', async () => {
        const response = await t.service.app.inject({
          method: 'POST',
          url: `${BASE}/api/pricing/quote`,
          headers: {
            'content-type': 'application/json',
            'idempotency-key': randomUUID(),
          },
          payload: JSON.stringify(HOODIES),
        })
        assert.equal(response.statusCode, 201, response.body)
        const quote = response.json()
        const dollars = `$${(quote.total_cents / 100).toFixed(2)}`

        const listed = textOf(
          elementWith(await page('/quotes'), 'data-quote-id', quote.id)!,
        )
        const detail = await page(`/quotes/${quote.id}`)

        assert.match(listed, /Lincoln High Boosters \(MD-5521\) via mockupdesk/)
        assert.match(
          listed,
          /24 pieces in 1 item: Independent SS4500 Black rush/,
        )
        assert.ok(listed.includes(dollars), `${listed} shows ${dollars}`)
        assert.match(listed, /test-1$/)
        const lines = [...detail.matchAll(/<tr data-line-kind="(\w+)">/g)]
        assert.equal(lines.length, quote.lines.length)
        assert.ok(
          textOf(elementWith(detail, 'data-field', 'lines-total')!) === dollars,
        )
        assert.match(textOf(detail), /Rush \(\d+%\)/)
      })
    })

    describe('roadmap', () => {
      it('shows each workspace’s progress and what changed between imports', async () => {
        await importRoadmap('planned')
        await importRoadmap('in_progress')

        const html = await page('/roadmap')
        const history = await page('/roadmap/ws-1')

        const row = elementWith(html, 'data-workspace-id', 'ws-1')!
        assert.match(row, /<progress max="10000" value="7500"/)
        assert.match(
          textOf(row),
          /Main shop .* 75% .* done: 3 .* in_progress: 1/,
        )
        assert.match(row, new RegExp(`href="${CONSOLE}/roadmap/ws-1"`))
        const moved = elementWith(history, 'data-item-id', 'r-2')!
        assert.equal(textOf(moved), 'r-2: planned → in_progress')
        assert.match(textOf(history), /first import of this workspace/)
      })
    })

    it('answers unknown ids with a 404 problem', async () => {
      for (const path of [
        '/quotes/999999',
        '/conversations/999999',
        '/roadmap/no-such-workspace',
        '/quotes/not-a-number',
      ]) {
        const response = await browser.request({
          method: 'GET',
          url: CONSOLE + path,
          headers: { accept: 'text/html' },
        })

        assert.equal(response.statusCode, 404, path)
        assert.equal(response.json().status, 404, path)
      }
    })

    it('says on each empty page what would fill it', async () => {
      assert.match(textOf(await page('/inbox')), /POST \/api\/inbox\/insights/)
      assert.match(
        textOf(await page('/conversations')),
        /No text conversations yet.*POST \/webhooks\/twilio\/sms\/inbound/,
      )
      assert.match(
        textOf(await page('/confirmations')),
        /POST \/api\/gmail\/ingest-print-confirmations/,
      )
      assert.match(
        textOf(await page('/quotes')),
        /No quotes yet\. MockupDesk sends them to POST \/api\/pricing\/quote/,
      )
      assert.match(
        textOf(await page('/roadmap')),
        /No roadmap imported yet.*POST \/api\/roadmap\/ingest/,
      )
    })

    /** Imports workspace ws-1: three items done, and r-2 in `status`. */
    async function importRoadmap(status: string) {
      const response = await t.service.app.inject({
        method: 'POST',
        url: `${BASE}/api/roadmap/ingest`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          workspaces: [
            {
              id: 'ws-1',
              name: 'Main shop',
              items: [
                { id: 'r-1', title: 'New press', status: 'done' },
                { id: 'r-2', title: 'Train the second shift', status },
                { id: 'r-3', title: 'Move the dryer', status: 'done' },
                { id: 'r-4', title: 'Order screens', status: 'done' },
              ],
            },
          ],
        }),
      })
      assert.equal(response.statusCode, 201, response.body)
    }
  })
}

function confirmation(
  thread: string,
  workOrder: string,
  files: (typeof printConfirmations.$inferInsert)['files'],
  receivedAt: Date,
): typeof printConfirmations.$inferInsert {
  return {
    gmailThreadId: thread,
    gmailMessageId: `${thread}-m`,
    workOrderName: workOrder,
    subject: `Proof approval needed - ${workOrder}`,
    senderEmail: 'proofs@printpartner.example',
    receivedAt,
    files,
  }
}
