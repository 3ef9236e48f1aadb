import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import { after, before, describe, it } from 'node:test'
import { S3TestServer } from './support/s3-test-server.js'
import type { FileStorageSettings } from '../src/config/file-storage-settings.js'
import {
  createFileStore,
  objectKey,
  type FileStore,
} from '../src/files/file-store.js'

const BUCKET = 'pressos-test'
const REGION = 'us-east-2'

/** A small but real PDF: the header, one empty page, the trailer. */
function pdfBytes(label: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n% ${label}\n1 0 obj << /Type /Catalog /Pages 2 0 R >> ` +
      'endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n' +
      'trailer << /Root 1 0 R >>\n%%EOF\n',
  )
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url)
  assert.equal(response.status, 200, await response.clone().text())

  return Buffer.from(await response.arrayBuffer())
}

describe('S3 file store', () => {
  const server = new S3TestServer(BUCKET)
  let store: FileStore

  before(async () => {
    const settings: FileStorageSettings = {
      s3Bucket: BUCKET,
      s3Region: REGION,
      s3Endpoint: await server.start(),
      s3ForcePathStyle: true,
      linkExpirySeconds: 3600,
      linkSecret: undefined,
    }
    store = await createFileStore(settings, tmpdir())
  })

  after(() => server.stop())

  it('is the S3 driver when a bucket is set', () => {
    assert.equal(store.driver, 's3')
  })

  it('stores a PDF and serves the same bytes through a presigned link', async () => {
    const body = pdfBytes('work order 1042')
    const key = objectKey('confirmations', ['t1', 'm1', '0'], 'WO 1042.pdf')

    const stored = await store.put(key, body, 'application/pdf')
    const link = await store.linkFor(key, 900, 'http://unused.example')

    assert.equal(stored.key, 'confirmations/t1/m1/0/WO-1042.pdf')
    assert.equal(stored.size, body.length)
    assert.equal(stored.contentType, 'application/pdf')
    assert.match(stored.sha256, /^[0-9a-f]{64}$/)
    assert.deepEqual(await download(link), body)
  })

  it('keeps the content type and the sha256 on the object', async () => {
    const body = pdfBytes('proof')
    const key = objectKey('proofs', ['t2', 'm2', '0'], 'proof.pdf')
    const stored = await store.put(key, body, 'application/pdf')

    const response = await fetch(await store.linkFor(key, 60, ''))

    assert.equal(response.headers.get('content-type'), 'application/pdf')
    assert.equal(response.headers.get('x-amz-meta-sha256'), stored.sha256)
  })

  it('presigns links with SigV4 for the expiry asked', async () => {
    const key = objectKey('confirmations', ['t3', 'm3', '1'], 'art.pdf')
    await store.put(key, pdfBytes('art'), 'application/pdf')

    const link = new URL(await store.linkFor(key, 1234, ''))
    const query = link.searchParams

    assert.equal(link.pathname, `/${BUCKET}/${key}`)
    assert.equal(query.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256')
    assert.equal(query.get('X-Amz-Expires'), '1234')
    assert.match(
      query.get('X-Amz-Credential') ?? '',
      new RegExp(`^S3RVER/\\d{8}/${REGION}/s3/aws4_request$`),
    )
    assert.ok(
      (query.get('X-Amz-SignedHeaders') ?? '').split(';').includes('host'),
      `X-Amz-SignedHeaders is ${query.get('X-Amz-SignedHeaders')}`,
    )
    assert.match(query.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/)
  })

  it('keeps two attachments of the same name apart by their ids', async () => {
    const first = pdfBytes('first invoice')
    const second = pdfBytes('second invoice')
    const firstKey = objectKey('invoices', ['t4', 'm4', '0'], 'invoice.pdf')
    const secondKey = objectKey('invoices', ['t4', 'm5', '0'], 'invoice.pdf')

    await store.put(firstKey, first, 'application/pdf')
    await store.put(secondKey, second, 'application/pdf')

    assert.notEqual(firstKey, secondKey)
    assert.deepEqual(
      await download(await store.linkFor(firstKey, 60, '')),
      first,
    )
    assert.deepEqual(
      await download(await store.linkFor(secondKey, 60, '')),
      second,
    )
  })
})
