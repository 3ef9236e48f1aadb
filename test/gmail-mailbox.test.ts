import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { GmailSettings } from '../src/config/gmail-settings.js'
import {
  connectGmail,
  gmailCredentialsProblem,
} from '../src/gmail/gmail-connection.js'
import { isPdf } from '../src/gmail/mail-message.js'
import { Mailbox, MailboxError } from '../src/gmail/mailbox.js'
import { GmailTestServer } from './support/gmail-test-server.js'

const REFRESH = {
  clientId: 'pressos-inbound.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-shop-client-secret',
  token: '1//shop-refresh-token-kept-secret',
}

const SERVICE = {
  email: 'inbound@pressos-shop.iam.gserviceaccount.com',
  impersonate: 'orders@shop.test',
}

// A throwaway key: the test token endpoint reads the claims, not the
// signature, but Google's client still signs with it.
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()

const LABELS: GmailSettings['labels'] = {
  workOrder: 'Work Order',
  workOrderProcessed: 'Work Order Processed',
  printInvoice: 'Print Invoice',
  printInvoiceProcessed: 'Print Invoice Processed',
  printConfirmation: 'Print Confirmation',
  printConfirmationComplete: 'Print Confirmation Complete',
}

interface SignInKind {
  name: string
  user: string
  credentials: NonNullable<GmailSettings['credentials']>
  /** The same credentials with one secret wrong. */
  wrong: NonNullable<GmailSettings['credentials']>
}

const SIGN_IN_KINDS: SignInKind[] = [
  {
    name: 'a refresh token',
    user: 'me',
    credentials: {
      kind: 'refresh-token',
      clientId: REFRESH.clientId,
      clientSecret: REFRESH.clientSecret,
      refreshToken: REFRESH.token,
    },
    wrong: {
      kind: 'refresh-token',
      clientId: REFRESH.clientId,
      clientSecret: REFRESH.clientSecret,
      refreshToken: '1//a-revoked-refresh-token',
    },
  },
  {
    name: 'a service account',
    user: SERVICE.impersonate,
    credentials: {
      kind: 'service-account',
      key: { client_email: SERVICE.email, private_key: PRIVATE_KEY },
      impersonate: SERVICE.impersonate,
    },
    wrong: {
      kind: 'service-account',
      key: { client_email: SERVICE.email, private_key: PRIVATE_KEY },
      impersonate: 'someone-else@shop.test',
    },
  },
]

/** Secrets that must never show in an error. */
function secretsOf(server: GmailTestServer): string[] {
  return [
    ...server.accessTokens,
    REFRESH.clientSecret,
    REFRESH.token,
    '1//a-revoked-refresh-token',
    PRIVATE_KEY.split('\n')[1]!,
  ]
}

async function failureOf(work: Promise<unknown>): Promise<MailboxError> {
  try {
    await work
  } catch (error) {
    assert.ok(error instanceof MailboxError, `not a MailboxError: ${error}`)

    return error
  }
  assert.fail('the call succeeded')
}

for (const kind of SIGN_IN_KINDS) {
  describe(`the mailbox, signed in with ${kind.name}`, () => {
    let server: GmailTestServer
    let urls: { rootUrl: string; tokenUrl: string }
    let mailbox: Mailbox
    const mailboxPath = `/gmail/v1/users/${encodeURIComponent(kind.user)}`

    function settings(credentials = kind.credentials): GmailSettings {
      return {
        credentials,
        user: kind.user,
        apiRootUrl: urls.rootUrl,
        tokenUrl: urls.tokenUrl,
        labels: LABELS,
      }
    }

    function gmailRequests(method: string, path: RegExp) {
      return server.requests.filter(
        (r) => r.method === method && path.test(r.path),
      )
    }

    beforeEach(async () => {
      server = new GmailTestServer({
        refreshToken: REFRESH,
        serviceAccount: SERVICE,
      })
      urls = await server.start()
      mailbox = Mailbox.connect(settings())
    })

    afterEach(() => server.stop())

    it('finds a label whatever its case, signing in once', async () => {
      const id = server.addLabel('Work Order')

      assert.equal(await mailbox.labelId('work order'), id)
      assert.equal(await mailbox.labelId('WORK ORDER'), id)
      assert.equal(server.tokenRequests, 1)
      assert.deepEqual(
        server.requests.map((r) => `${r.method} ${r.path}`),
        [
          'POST /token',
          `GET ${mailboxPath}/labels`,
          `GET ${mailboxPath}/labels`,
        ],
      )
    })

    it('creates a missing label, shown in the label list', async () => {
      const id = await mailbox.labelId('Print Invoice')

      const label = server.label('Print Invoice')
      assert.equal(label?.id, id)
      assert.equal(label?.labelListVisibility, 'labelShow')
      assert.equal(label?.messageListVisibility, 'show')
      assert.equal(await mailbox.labelId('Print Invoice'), id)
      assert.equal(gmailRequests('POST', /\/labels$/).length, 1)
    })

    it('takes the label another worker created meanwhile', async () => {
      let theirs = ''
      server.beforeNext('POST', /\/labels$/, () => {
        theirs = server.addLabel('Print Confirmation')
      })

      const id = await mailbox.labelId('Print Confirmation')

      assert.equal(id, theirs)
      assert.deepEqual(
        server.requests.slice(1).map((r) => `${r.method} ${r.path}`),
        [
          `GET ${mailboxPath}/labels`,
          `POST ${mailboxPath}/labels`,
          `GET ${mailboxPath}/labels`,
        ],
      )
    })

    it('follows the pages of threads to the last one', async () => {
      const made = Array.from({ length: 230 }, () =>
        server.addThread({
          labels: ['Work Order'],
          messages: [{ subject: 'Tees', from: 'a@acme.test', text: 'hi' }],
        }),
      )
      server.addThread({
        labels: ['Print Invoice'],
        messages: [{ subject: 'Invoice', from: 'b@acme.test', text: 'due' }],
      })
      const workOrder = await mailbox.labelId('Work Order')

      const ids = await mailbox.threadIdsWithLabel(workOrder)

      assert.deepEqual([...ids].sort(), [...made].sort())
      assert.equal(new Set(ids).size, 230)
      const pages = gmailRequests('GET', /\/threads$/)
      assert.deepEqual(
        pages.map((p) => [p.query.get('pageToken'), p.query.get('maxResults')]),
        [
          [null, '100'],
          ['100', '100'],
          ['200', '100'],
        ],
      )
      assert.ok(pages.every((p) => p.query.get('labelIds') === workOrder))
    })

    it('stops paging once it has found the most it may return', async () => {
      for (let i = 0; i < 230; i++) {
        server.addThread({
          labels: ['Work Order'],
          messages: [{ subject: 'Tees', from: 'a@acme.test', text: 'hi' }],
        })
      }
      const workOrder = await mailbox.labelId('Work Order')

      const ids = await mailbox.threadIdsWithLabel(workOrder, 150)

      assert.equal(new Set(ids).size, 150)
      assert.deepEqual(
        gmailRequests('GET', /\/threads$/).map((p) =>
          p.query.get('maxResults'),
        ),
        ['100', '50'],
      )
    })

    it('finds no threads when none carry the label', async () => {
      const id = await mailbox.labelId('Print Confirmation Complete')

      assert.deepEqual(await mailbox.threadIdsWithLabel(id), [])
    })

    it('reads a nested multipart thread into text and files', async () => {
      const artwork = randomBytes(300_000)
      const purchaseOrder = Buffer.from('%PDF-1.4 purchase order 1042')
      const logo = randomBytes(900)
      const threadId = server.addThread({
        labels: ['Work Order'],
        messages: [
          {
            subject: 'Order: 48 navy tees',
            from: 'Dana Reyes <dana@acme.test>',
            date: new Date('2025-06-03T18:05:00Z'),
            text: 'Front print, two colours.\nSizes attached.',
            html: '<p>Front print, <b>two</b> colours.</p>',
            attachments: [
              {
                filename: 'artwork.pdf',
                mimeType: 'application/pdf',
                data: artwork,
              },
              {
                filename: 'PO-1042.pdf',
                mimeType: 'application/octet-stream',
                data: purchaseOrder,
              },
              {
                filename: 'logo.png',
                mimeType: 'image/png',
                data: logo,
                inline: true,
              },
            ],
          },
          {
            subject: 'Re: Order: 48 navy tees',
            from: 'orders@acme.test',
            html: '<div>Proof looks good &amp; approved.</div><p>Dana</p>',
          },
        ],
      })
      const workOrder = await mailbox.labelId('Work Order')

      const thread = await mailbox.readThread(threadId)

      assert.equal(thread.id, threadId)
      const [order, reply] = thread.messages
      assert.equal(order?.subject, 'Order: 48 navy tees')
      assert.deepEqual(order?.from, {
        name: 'Dana Reyes',
        email: 'dana@acme.test',
      })
      assert.equal(order?.date?.toISOString(), '2025-06-03T18:05:00.000Z')
      assert.equal(order?.text, 'Front print, two colours.\nSizes attached.')
      assert.deepEqual(order?.labelIds, [workOrder])
      assert.deepEqual(
        order?.attachments.map((a) => [a.filename, a.size, isPdf(a)]),
        [
          ['artwork.pdf', artwork.length, true],
          ['PO-1042.pdf', purchaseOrder.length, true],
          ['logo.png', logo.length, false],
        ],
      )
      const bytes = await Promise.all(
        order!.attachments.map((a) => mailbox.attachmentBytes(order!, a)),
      )
      assert.ok(bytes[0]!.equals(artwork))
      assert.ok(bytes[1]!.equals(purchaseOrder))
      assert.ok(bytes[2]!.equals(logo))
      assert.equal(gmailRequests('GET', /\/attachments\//).length, 2)
      assert.equal(reply?.text, 'Proof looks good & approved.\n\nDana')
      assert.deepEqual(reply?.from, { name: null, email: 'orders@acme.test' })
    })

    it('moves a thread from one label to another', async () => {
      const threadId = server.addThread({
        labels: ['Work Order', 'INBOX'],
        messages: [
          { subject: 'Tees', from: 'a@acme.test', text: 'first' },
          { subject: 'Re: Tees', from: 'b@acme.test', text: 'second' },
        ],
      })
      const workOrder = await mailbox.labelId('Work Order')
      const processed = await mailbox.labelId('Work Order Processed')

      await mailbox.relabel(threadId, { add: [processed], remove: [workOrder] })

      assert.deepEqual(server.labelNamesOf(threadId), [
        'INBOX',
        'Work Order Processed',
      ])
      const thread = await mailbox.readThread(threadId)
      for (const message of thread.messages) {
        assert.deepEqual([...message.labelIds].sort(), ['INBOX', processed])
      }
      assert.deepEqual(gmailRequests('POST', /\/modify$/)[0]?.body, {
        addLabelIds: [processed],
        removeLabelIds: [workOrder],
      })
    })

    it('sends nothing for a label move that changes nothing', async () => {
      await mailbox.relabel('18f0000000000001', {})

      assert.equal(server.requests.length, 0)
    })

    it('names the call and the status of a missing thread', async () => {
      const error = await failureOf(mailbox.readThread('18f00000deadbeef'))

      assert.equal(error.call, 'threads.get')
      assert.equal(error.status, 404)
      assert.equal(
        error.message,
        `Gmail threads.get for thread "18f00000deadbeef" in mailbox ` +
          `"${kind.user}" failed: HTTP 404, "Requested entity was not ` +
          'found."; the thread, message or label may have been deleted',
      )
    })

    it('names the call and the status of a failed label move', async () => {
      const threadId = server.addThread({
        labels: ['Work Order'],
        messages: [{ subject: 'Tees', from: 'a@acme.test', text: 'hi' }],
      })
      server.failNext('POST', /\/modify$/, 500)

      const error = await failureOf(
        mailbox.relabel(threadId, { add: ['INBOX'] }),
      )

      assert.equal(error.call, 'threads.modify')
      assert.equal(error.status, 500)
      assert.match(error.message, /threads\.modify .* HTTP 500/)
      assert.match(error.message, /Internal error encountered/)
      assert.deepEqual(server.labelNamesOf(threadId), ['Work Order'])
    })

    it('rides out a passing 503 on a read, as Google retries it', async () => {
      const threadId = server.addThread({
        labels: ['Work Order'],
        messages: [{ subject: 'Tees', from: 'a@acme.test', text: 'hi' }],
      })
      server.failNext('GET', /\/threads\/[^/]+$/, 503)

      const thread = await mailbox.readThread(threadId)

      assert.equal(thread.messages[0]?.text, 'hi')
      assert.equal(gmailRequests('GET', /\/threads\/[^/]+$/).length, 2)
    })

    it('keeps every token and secret out of its errors', async () => {
      server.failNext('GET', /\/labels$/, 401, 2)
      const errors = [
        await failureOf(mailbox.labelId('Work Order')),
        await failureOf(mailbox.readThread('missing')),
        await failureOf(mailbox.attachment('missing', 'ANGjdJ_x')),
        await failureOf(
          Mailbox.connect(settings(kind.wrong)).labelId('Work Order'),
        ),
      ]

      assert.deepEqual(
        errors.map((e) => e.status),
        [401, 404, 404, 400],
      )
      assert.ok(server.accessTokens.size > 0)
      for (const error of errors) {
        const shown = `${error.message}\n${inspect(error)}`
        for (const secret of secretsOf(server)) {
          assert.ok(!shown.includes(secret), `${error.call} shows a secret`)
        }
      }
    })

    it('says signing in failed when Google refuses them', async () => {
      const wrong = Mailbox.connect(settings(kind.wrong))

      const error = await failureOf(wrong.threadIdsWithLabel('Label_1'))

      assert.equal(error.call, 'threads.list')
      assert.match(error.message, /^Gmail threads\.list for label "Label_1"/)
      assert.match(error.message, /could not sign in: HTTP 400/)
      assert.match(error.message, /"invalid_grant: .+"/)
      assert.match(error.message, /check the Gmail credentials/)
      assert.equal(gmailRequests('GET', /\/threads$/).length, 0)
    })
  })
}

describe('connecting to Gmail', () => {
  const bare: GmailSettings = {
    credentials: undefined,
    user: 'me',
    apiRootUrl: undefined,
    tokenUrl: undefined,
    labels: LABELS,
  }

  it('says what to set when no credentials are configured', () => {
    const problem = gmailCredentialsProblem(bare)

    assert.match(
      problem ?? '',
      /GMAIL_SERVICE_ACCOUNT_JSON and GMAIL_IMPERSONATE/,
    )
    assert.match(
      problem ?? '',
      /GMAIL_CLIENT_ID, GMAIL_CLIENT_SECRET and GMAIL_REFRESH_TOKEN/,
    )
    assert.throws(() => connectGmail(bare), { message: problem })
  })

  it('finds no problem once credentials are set', () => {
    const settings = { ...bare, credentials: SIGN_IN_KINDS[0]!.credentials }

    assert.equal(gmailCredentialsProblem(settings), undefined)
    assert.ok(connectGmail(settings).users.threads)
  })
})
