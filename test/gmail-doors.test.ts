import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { ENGINES, query, resetTables } from './support/test-database.js'
import { GmailTestServer } from './support/gmail-test-server.js'
import { S3TestServer } from './support/s3-test-server.js'
import {
  startTestService,
  waitFor,
  type TestService,
} from './support/test-service.js'

const API_KEY = 'cron-key-31f'
const SIGN_IN = {
  clientId: 'shop-client',
  clientSecret: 'shop-secret',
  token: 'refresh-1',
}

function pdf(label: string): Buffer {
  return Buffer.from(`%PDF-1.4\n% ${label}\ntrailer << >>\n%%EOF\n`)
}

const PARTNER = 'Proofs <proofs@printpartner.example>'

function confirmationThread(subject: string, pdfs: number, date = new Date()) {
  return {
    labels: ['Print Confirmation'],
    messages: [
      {
        subject,
        from: PARTNER,
        date,
        text: 'Please approve the attached proofs.',
        attachments: Array.from({ length: pdfs }, (_, i) => ({
          filename: `proof-${i + 1}.pdf`,
          mimeType: 'application/pdf',
          data: pdf(`${subject} ${i}`),
        })),
      },
    ],
  }
}

for (const engine of ENGINES) {
  describe(`Gmail doors on ${engine}`, () => {
    const gmail = new GmailTestServer({ refreshToken: SIGN_IN })
    const s3 = new S3TestServer()
    let t: TestService

    const call = (
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
      key: string | null = API_KEY,
    ) =>
      t.service.app.inject({
        method,
        url,
        headers: {
          ...(key === null ? {} : { 'x-pressos-key': key }),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload ? { payload } : {}),
      })

    before(async () => {
      const { rootUrl, tokenUrl } = await gmail.start()
      const s3Endpoint = await s3.start()
      t = await startTestService(engine, {
        env: {
          GMAIL_CLIENT_ID: SIGN_IN.clientId,
          GMAIL_CLIENT_SECRET: SIGN_IN.clientSecret,
          GMAIL_REFRESH_TOKEN: SIGN_IN.token,
          GMAIL_API_ROOT_URL: rootUrl,
          GOOGLE_OAUTH_TOKEN_URL: tokenUrl,
          S3_BUCKET: s3.bucket,
          S3_ENDPOINT: s3Endpoint,
          S3_FORCE_PATH_STYLE: 'true',
          INVOICE_WORKFLOW_API_KEY: API_KEY,
        },
      })
    })
    after(async () => {
      await t.close()
      await gmail.stop()
      await s3.stop()
    })
    beforeEach(async () => {
      await resetTables(t.database)
      gmail.clearThreads()
    })

    it('turns a work-order thread into a work order and moves its label', async () => {
      const thread = gmail.addThread({
        labels: ['Work Order'],
        messages: [
          {
            subject: 'Re: 48 hoodies for the Smith Tees run',
            from: 'Dana Smith <dana@smithtees.example>',
            text: 'Navy, two colour front.',
            attachments: [
              {
                filename: 'art.png',
                mimeType: 'image/png',
                data: Buffer.from('png'),
              },
            ],
          },
        ],
      })

      const response = await call('POST', '/api/gmail/ingest')

      assert.equal(response.statusCode, 200)
      const summary = response.json()
      assert.equal(summary.seen, 1)
      assert.equal(summary.ingested[0].work_order_id, `WO-${thread}`)
      const [order] = await query<any>(
        t.database,
        'select name, customer_name, customer_email, description from work_orders',
      )
      assert.deepEqual(order, {
        name: '48 hoodies for the Smith Tees run',
        customer_name: 'Dana Smith',
        customer_email: 'dana@smithtees.example',
        description: 'Navy, two colour front.',
      })
      const files = await query<any>(
        t.database,
        'select file_name from work_order_attachments',
      )
      assert.deepEqual(files, [{ file_name: 'art.png' }])
      assert.deepEqual(gmail.labelNamesOf(thread), ['Work Order Processed'])
      const events = await query<any>(
        t.database,
        'select event_type from activity_events',
      )
      assert.deepEqual(events, [{ event_type: 'work_order.created' }])
    })

    it('ingests nothing twice when called again', async () => {
      gmail.addThread({
        labels: ['Work Order'],
        messages: [{ subject: 'Team shirts', from: 'coach@school.example' }],
      })

      await call('POST', '/api/gmail/ingest')
      const again = (await call('POST', '/api/gmail/ingest')).json()

      assert.equal(again.ingested.length, 0)
      assert.equal(
        (await query(t.database, 'select 1 from work_orders')).length,
        1,
      )
    })

    it('keeps print invoice PDFs in S3 with a row, then moves the label', async () => {
      const thread = gmail.addThread({
        labels: ['Print Invoice'],
        messages: [
          {
            subject: 'Invoice 7781',
            from: 'Billing <billing@printpartner.example>',
            date: new Date('2026-11-30T15:00:00Z'),
            attachments: [
              {
                filename: 'invoice.pdf',
                mimeType: 'application/pdf',
                data: pdf('inv'),
              },
              {
                filename: 'logo.png',
                mimeType: 'image/png',
                data: Buffer.from('x'),
              },
            ],
          },
        ],
      })

      const summary = (
        await call('POST', '/api/gmail/ingest-print-invoices')
      ).json()

      assert.equal(summary.ingested.length, 1)
      const [row] = await query<any>(
        t.database,
        `select sender_email, subject, sent_at, files from print_invoices`,
      )
      assert.equal(row.sender_email, 'billing@printpartner.example')
      assert.equal(row.subject, 'Invoice 7781')
      assert.equal(
        new Date(row.sent_at).toISOString(),
        '2026-11-30T15:00:00.000Z',
      )
      assert.deepEqual(
        row.files.map((f: { fileName: string }) => f.fileName),
        ['invoice.pdf'],
      )
      assert.match(row.files[0].key, /^PrintInvoices\//)
      assert.deepEqual(gmail.labelNamesOf(thread), ['Print Invoice Processed'])
      const [event] = await query<any>(
        t.database,
        'select event_type, recognised from activity_events',
      )
      assert.deepEqual(event, {
        event_type: 'print_invoice.ingested',
        recognised: true,
      })
    })

    it('skips an invoice thread without a PDF, saying why', async () => {
      const thread = gmail.addThread({
        labels: ['Print Invoice'],
        messages: [
          {
            subject: 'Invoice to follow',
            from: 'billing@printpartner.example',
          },
        ],
      })

      const summary = (
        await call('POST', '/api/gmail/ingest-print-invoices')
      ).json()

      assert.deepEqual(summary.skipped, [
        { thread_id: thread, reason: 'no PDF attached to any message' },
      ])
      assert.deepEqual(gmail.labelNamesOf(thread), ['Print Invoice'])
    })

    it('accepts every form of the proof-approval subject', async () => {
      const subjects = {
        'Proof approval needed - Smith Tees': 'Smith Tees',
        'RE: Fwd: proof APPROVAL needed (Photo) - Lincoln High': 'Lincoln High',
        'Proof approval needed (Oak Street Bakery)': 'Oak Street Bakery',
        'Proof approval needed: Rivera Landscaping': 'Rivera Landscaping',
      }
      for (const subject of Object.keys(subjects)) {
        gmail.addThread(confirmationThread(subject, 2))
      }

      const summary = (
        await call('POST', '/api/gmail/ingest-print-confirmations')
      ).json()

      assert.equal(summary.ingested.length, 4)
      const names = await query<any>(
        t.database,
        'select work_order_name from print_confirmations order by work_order_name',
      )
      assert.deepEqual(
        names.map((row) => row.work_order_name),
        Object.values(subjects).sort(),
      )
    })

    it('skips confirmations with another subject or fewer than two PDFs', async () => {
      const wrong = gmail.addThread(confirmationThread('Your order shipped', 2))
      const single = gmail.addThread(
        confirmationThread('Proof approval needed - Smith', 1),
      )

      const summary = (
        await call('POST', '/api/gmail/ingest-print-confirmations')
      ).json()

      const reasons = Object.fromEntries(
        summary.skipped.map((s: { thread_id: string; reason: string }) => [
          s.thread_id,
          s.reason,
        ]),
      )
      assert.match(reasons[wrong], /is not "Proof approval needed"/)
      assert.match(
        reasons[single],
        /1 PDF attached; a proof approval needs at least 2/,
      )
      assert.deepEqual(
        await query(t.database, 'select 1 from print_confirmations'),
        [],
      )
    })

    it('keeps the confirmation label, logs print_confirmation.ready, and ingests once', async () => {
      const thread = gmail.addThread(
        confirmationThread('Proof approval needed - Smith Tees', 2),
      )

      await call('POST', '/api/gmail/ingest-print-confirmations')
      const again = (
        await call('POST', '/api/gmail/ingest-print-confirmations')
      ).json()

      assert.deepEqual(gmail.labelNamesOf(thread), ['Print Confirmation'])
      assert.equal(again.already_ingested, 1)
      assert.equal(
        (await query(t.database, 'select 1 from print_confirmations')).length,
        1,
      )
      const events = await query<any>(
        t.database,
        'select event_type from activity_events',
      )
      assert.deepEqual(events, [{ event_type: 'print_confirmation.ready' }])
    })

    it('never overwrites two attachments with the same name', async () => {
      gmail.addThread({
        labels: ['Print Confirmation'],
        messages: [
          {
            subject: 'Proof approval needed - Twins',
            from: PARTNER,
            date: new Date(),
            attachments: [
              {
                filename: 'proof.pdf',
                mimeType: 'application/pdf',
                data: pdf('front'),
              },
              {
                filename: 'proof.pdf',
                mimeType: 'application/pdf',
                data: pdf('back'),
              },
            ],
          },
        ],
      })
      await call('POST', '/api/gmail/ingest-print-confirmations')

      const list = (
        await call('GET', '/api/print-confirmation-pdf-uploads')
      ).json()
      const files = list.confirmations[0].files
      const bodies = await Promise.all(
        files.map(async (file: { url: string }) =>
          (await fetch(file.url)).text(),
        ),
      )

      assert.equal(
        new Set(files.map((f: { url: string }) => new URL(f.url).pathname))
          .size,
        2,
      )
      assert.match(bodies[0], /front/)
      assert.match(bodies[1], /back/)
    })

    it('carries on past a thread that fails, and ingests it on the next call', async () => {
      gmail.addThread(confirmationThread('Proof approval needed - Good', 2))
      const bad = gmail.addThread(
        confirmationThread('Proof approval needed - Bad', 2),
      )
      gmail.failNext('GET', new RegExp(`threads/${bad}$`), 404)

      const first = (
        await call('POST', '/api/gmail/ingest-print-confirmations')
      ).json()
      const second = (
        await call('POST', '/api/gmail/ingest-print-confirmations')
      ).json()

      assert.equal(first.ingested.length, 1)
      assert.equal(first.failed[0].thread_id, bad)
      assert.match(first.failed[0].error, /404/)
      assert.equal(second.ingested[0].thread_id, bad)
    })

    it('never ingests one thread twice when two calls run at once', async () => {
      for (let i = 0; i < 6; i++) {
        gmail.addThread(
          confirmationThread(`Proof approval needed - Order ${i}`, 2),
        )
      }

      const [one, two] = await Promise.all([
        call('POST', '/api/gmail/ingest-print-confirmations'),
        call('POST', '/api/gmail/ingest-print-confirmations'),
      ])

      const ingested = one.json().ingested.length + two.json().ingested.length
      assert.equal(ingested, 6)
      assert.deepEqual([...one.json().failed, ...two.json().failed], [])
      assert.equal(
        (await query(t.database, 'select 1 from print_confirmations')).length,
        6,
      )
    })

    it('lists pending confirmations with presigned links that fetch the PDFs', async () => {
      const thread = gmail.addThread(
        confirmationThread('Proof approval needed - Smith Tees', 2),
      )
      await call('POST', '/api/gmail/ingest-print-confirmations')

      const response = await call(
        'GET',
        '/api/print-confirmation-pdf-uploads?days=7&limit=10',
      )

      assert.equal(response.statusCode, 200)
      const [pending] = response.json().confirmations
      assert.equal(pending.work_order_name, 'Smith Tees')
      assert.equal(pending.gmail_thread_id, thread)
      const url = new URL(pending.files[0].url)
      assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256')
      assert.equal(url.searchParams.get('X-Amz-Expires'), '3600')
      assert.match(url.pathname, /PrintPartnerConfirmations\//)
      const fetched = await fetch(url)
      assert.equal(fetched.status, 200)
      assert.match(await fetched.text(), /Smith Tees 0/)
    })

    it('leaves out confirmations older than days', async () => {
      const old = new Date(Date.now() - 10 * 86_400_000)
      gmail.addThread(confirmationThread('Proof approval needed - Old', 2, old))
      gmail.addThread(confirmationThread('Proof approval needed - New', 2))
      await call('POST', '/api/gmail/ingest-print-confirmations')

      const recent = (
        await call('GET', '/api/print-confirmation-pdf-uploads?days=3')
      ).json()
      const all = (
        await call('GET', '/api/print-confirmation-pdf-uploads?days=30')
      ).json()

      assert.deepEqual(
        recent.confirmations.map(
          (c: { work_order_name: string }) => c.work_order_name,
        ),
        ['New'],
      )
      assert.equal(all.confirmations.length, 2)
    })

    it('refuses a bad days or limit with 400', async () => {
      for (const q of ['days=0', 'days=abc', 'limit=501', 'limit=-1']) {
        const response = await call(
          'GET',
          `/api/print-confirmation-pdf-uploads?${q}`,
        )
        assert.equal(response.statusCode, 400, q)
      }
    })

    it('acknowledges a confirmation, moves its label and logs it; again changes nothing', async () => {
      const thread = gmail.addThread(
        confirmationThread('Proof approval needed - Smith Tees', 2),
      )
      await call('POST', '/api/gmail/ingest-print-confirmations')
      const [row] = await query<any>(
        t.database,
        'select id::int from print_confirmations',
      )

      const ack = {
        gmail_thread_id: thread,
        pressos_row_id: row.id,
        printpath_confirmation_id: 'pp-77',
      }
      const first = await call(
        'POST',
        '/api/print-confirmation-pdf-uploads/ack',
        ack,
      )
      const second = await call(
        'POST',
        '/api/print-confirmation-pdf-uploads/ack',
        ack,
      )

      assert.equal(first.statusCode, 200)
      assert.equal(second.body, first.body)
      assert.equal(first.json().printpath_confirmation_id, 'pp-77')
      assert.deepEqual(gmail.labelNamesOf(thread), [
        'Print Confirmation Complete',
      ])
      const events = await query<any>(
        t.database,
        `select event_type from activity_events where event_type = 'work_order.partner_confirmed'`,
      )
      assert.equal(events.length, 1)
      const pending = (
        await call('GET', '/api/print-confirmation-pdf-uploads')
      ).json()
      assert.deepEqual(pending.confirmations, [])
    })

    it('answers 404 for an unknown thread and 409 for another thread’s row', async () => {
      const a = gmail.addThread(
        confirmationThread('Proof approval needed - A', 2),
      )
      gmail.addThread(confirmationThread('Proof approval needed - B', 2))
      await call('POST', '/api/gmail/ingest-print-confirmations')
      const rows = await query<any>(
        t.database,
        `select id::int, gmail_thread_id from print_confirmations`,
      )
      const other = rows.find((r) => r.gmail_thread_id !== a)

      const unknown = await call(
        'POST',
        '/api/print-confirmation-pdf-uploads/ack',
        {
          gmail_thread_id: 'no-such-thread',
        },
      )
      const mismatch = await call(
        'POST',
        '/api/print-confirmation-pdf-uploads/ack',
        {
          gmail_thread_id: a,
          pressos_row_id: other.id,
        },
      )
      const missing = await call(
        'POST',
        '/api/print-confirmation-pdf-uploads/ack',
        {},
      )

      assert.equal(unknown.statusCode, 404)
      assert.equal(mismatch.statusCode, 409)
      assert.equal(missing.statusCode, 422)
    })

    it('keeps the ack when Gmail fails, and a job moves the label later', async () => {
      const thread = gmail.addThread(
        confirmationThread('Proof approval needed - Later', 2),
      )
      await call('POST', '/api/gmail/ingest-print-confirmations')
      gmail.failNext('POST', /threads\/[^/]+\/modify$/, 500)

      const response = await call(
        'POST',
        '/api/print-confirmation-pdf-uploads/ack',
        {
          gmail_thread_id: thread,
        },
      )

      assert.equal(response.statusCode, 200)
      assert.equal(response.json().status, 'acked')
      await waitFor(
        async () =>
          gmail.labelNamesOf(thread).includes('Print Confirmation Complete'),
        'the label job to move the thread',
      )
    })

    it('refuses a missing or wrong X-PressOS-Key with 401', async () => {
      const missing = await call('POST', '/api/gmail/ingest', undefined, null)
      const wrong = await call('POST', '/api/gmail/ingest', undefined, 'nope')
      const list = await call(
        'GET',
        '/api/print-confirmation-pdf-uploads',
        undefined,
        null,
      )

      assert.equal(missing.statusCode, 401)
      assert.equal(wrong.statusCode, 401)
      assert.equal(list.statusCode, 401)
    })
  })
}

describe('Gmail doors with no credentials', () => {
  let t: TestService

  before(async () => {
    t = await startTestService('pglite')
  })
  after(() => t.close())

  it('answer 503 saying what to set', async () => {
    for (const url of [
      '/api/gmail/ingest',
      '/api/gmail/ingest-print-invoices',
      '/api/gmail/ingest-print-confirmations',
    ]) {
      const response = await t.service.app.inject({ method: 'POST', url })
      assert.equal(response.statusCode, 503, url)
      assert.match(response.json().detail, /GMAIL_SERVICE_ACCOUNT_JSON/)
      assert.match(response.json().detail, /GMAIL_REFRESH_TOKEN/)
    }
  })
})
