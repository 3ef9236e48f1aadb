import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { gmail_v1 } from '@googleapis/gmail'
import {
  isPdf,
  readMessage,
  type MailAttachment,
} from '../src/gmail/mail-message.js'

type Part = gmail_v1.Schema$MessagePart

function encoded(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

function text(mimeType: string, content: string): Part {
  return {
    mimeType,
    filename: '',
    headers: [{ name: 'Content-Type', value: `${mimeType}; charset=UTF-8` }],
    body: { size: Buffer.byteLength(content), data: encoded(content) },
  }
}

function container(mimeType: string, parts: Part[]): Part {
  return { mimeType, filename: '', headers: [], body: { size: 0 }, parts }
}

function message(payload: Part, headers: Record<string, string>) {
  const listed = Object.entries(headers).map(([name, value]) => ({
    name,
    value,
  }))

  return {
    id: 'm1',
    threadId: 't1',
    labelIds: ['INBOX', 'Label_3'],
    payload: { ...payload, headers: [...listed, ...(payload.headers ?? [])] },
  }
}

describe('reading a Gmail message', () => {
  it('takes the plain text and the attachments out of nested parts', () => {
    const artwork = Buffer.from('%PDF-1.7 artwork')
    const payload = container('multipart/mixed', [
      container('multipart/alternative', [
        text('text/plain', 'Hi,\r\nwe need 48 tees.\r\n'),
        text('text/html', '<p>Hi,</p><p>we need 48 tees.</p>'),
      ]),
      {
        mimeType: 'application/pdf',
        filename: 'artwork.pdf',
        body: { size: 2048, attachmentId: 'ANGjdJ_1' },
      },
      {
        mimeType: 'image/png',
        filename: 'logo.png',
        body: { size: artwork.length, data: artwork.toString('base64url') },
      },
    ])

    const read = readMessage(
      message(payload, {
        Subject: 'Quote for team shirts',
        From: 'Dana Reyes <dana@acme.test>',
        Date: 'Tue, 3 Jun 2025 14:05:00 -0400',
      }),
    )

    assert.equal(read.id, 'm1')
    assert.equal(read.threadId, 't1')
    assert.deepEqual(read.labelIds, ['INBOX', 'Label_3'])
    assert.equal(read.subject, 'Quote for team shirts')
    assert.deepEqual(read.from, { name: 'Dana Reyes', email: 'dana@acme.test' })
    assert.equal(read.date?.toISOString(), '2025-06-03T18:05:00.000Z')
    assert.equal(read.text, 'Hi,\nwe need 48 tees.\n')
    assert.deepEqual(read.attachments, [
      {
        filename: 'artwork.pdf',
        mimeType: 'application/pdf',
        size: 2048,
        attachmentId: 'ANGjdJ_1',
      },
      {
        filename: 'logo.png',
        mimeType: 'image/png',
        size: artwork.length,
        data: artwork,
      },
    ])
  })

  it('reads headers whatever their case', () => {
    const read = readMessage(
      message(text('text/plain', 'ok'), {
        subject: 'Proof approved',
        FROM: '"Reyes, Dana" <dana@acme.test>',
        date: 'Mon, 2 Jun 2025 09:00:00 +0000 (UTC)',
      }),
    )

    assert.equal(read.subject, 'Proof approved')
    assert.deepEqual(read.from, {
      name: 'Reyes, Dana',
      email: 'dana@acme.test',
    })
    assert.equal(read.date?.toISOString(), '2025-06-02T09:00:00.000Z')
  })

  it('takes a bare sender address and leaves the name empty', () => {
    const read = readMessage(
      message(text('text/plain', 'ok'), { From: 'orders@acme.test' }),
    )

    assert.deepEqual(read.from, { name: null, email: 'orders@acme.test' })
    assert.equal(read.subject, '')
    assert.equal(read.date, null)
  })

  it('gives no date for a Date header it cannot read', () => {
    const read = readMessage(
      message(text('text/plain', 'ok'), { Date: 'sometime last week' }),
    )

    assert.equal(read.date, null)
  })

  it('turns an HTML-only body into text', () => {
    const html =
      '<html><head><style>p { color: red }</style></head><body>' +
      '<p>Order&nbsp;#1042 for Smith &amp; Sons</p>' +
      '<div>Sizes: S&lt;M&gt;L, &quot;navy&quot; &#39;heather&#39;</div>' +
      'Thanks<br>Dana<p>Write &amp;lt; literally</p></body></html>'

    const read = readMessage(message(text('text/html', html), {}))

    assert.equal(
      read.text,
      'Order #1042 for Smith & Sons\n\n' +
        'Sizes: S<M>L, "navy" \'heather\'\n' +
        'Thanks\nDana\nWrite &lt; literally',
    )
  })

  it('reads the HTML of multipart/related and keeps its inline image', () => {
    const payload = container('multipart/related', [
      text('text/html', '<b>See the mock-up</b>'),
      {
        mimeType: 'image/jpeg',
        filename: 'mockup.jpg',
        body: { size: 90000, attachmentId: 'ANGjdJ_2' },
      },
    ])

    const read = readMessage(message(payload, {}))

    assert.equal(read.text, 'See the mock-up')
    assert.deepEqual(
      read.attachments.map((a) => a.filename),
      ['mockup.jpg'],
    )
  })

  it('counts a named text file as an attachment, not as the body', () => {
    const payload = container('multipart/mixed', [
      text('text/plain', 'See the sizes attached.'),
      { ...text('text/plain', 'S 10\nM 20'), filename: 'sizes.txt' },
    ])

    const read = readMessage(message(payload, {}))

    assert.equal(read.text, 'See the sizes attached.')
    assert.equal(read.attachments[0]?.filename, 'sizes.txt')
    assert.equal(read.attachments[0]?.data?.toString(), 'S 10\nM 20')
  })

  it('decodes base64url bodies with or without padding', () => {
    const padded = Buffer.from('Two dozen hoodies').toString('base64')
    const urlSafe = padded.replace(/\+/g, '-').replace(/\//g, '_')

    const read = readMessage(
      message(
        { mimeType: 'text/plain', body: { size: 17, data: urlSafe } },
        {},
      ),
    )

    assert.ok(urlSafe.endsWith('='))
    assert.equal(read.text, 'Two dozen hoodies')
  })

  it('reads a message without a payload as empty', () => {
    const read = readMessage({ id: 'm9', threadId: 't9' })

    assert.equal(read.text, '')
    assert.deepEqual(read.attachments, [])
    assert.deepEqual(read.from, { name: null, email: '' })
  })
})

describe('telling PDFs apart', () => {
  const file = (filename: string, mimeType: string): MailAttachment => ({
    filename,
    mimeType,
    size: 10,
  })

  it('knows a PDF by its type or by its name when sent as octet-stream', () => {
    assert.equal(isPdf(file('invoice', 'application/pdf')), true)
    assert.equal(isPdf(file('PROOF.PDF', 'application/octet-stream')), true)
    assert.equal(isPdf(file('Proof.pdf', 'Application/PDF')), true)
  })

  it('refuses other files, whatever their name', () => {
    assert.equal(isPdf(file('proof.pdf', 'image/png')), false)
    assert.equal(isPdf(file('proof.zip', 'application/octet-stream')), false)
    assert.equal(isPdf(file('logo.png', 'image/png')), false)
  })
})
