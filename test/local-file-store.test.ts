import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadConfig } from '../src/config/environment.js'
import { readFileStorageSettings } from '../src/config/file-storage-settings.js'
import { fileLinkDoor } from '../src/doors/file-link-door.js'
import { createFileStore, objectKey } from '../src/files/file-store.js'
import {
  LINK_SECRET_FILE,
  LocalFileStore,
  unixSeconds,
} from '../src/files/local-file-store.js'
import { createLogger } from '../src/http/logging.js'
import { startService, type Service } from '../src/service.js'
import { createTestDatabase } from './support/test-database.js'
import { CapturedLog, TEST_SECRET } from './support/test-service.js'

const BASE_URL = 'http://shop.example/pressos'
const PDF = Buffer.from('%PDF-1.4\n% proof for work order 1042\n%%EOF\n')

/** The path and query of `link`, as the door receives it. */
function pathOf(link: string): string {
  const url = new URL(link)

  return url.pathname + url.search
}

/** `link` with its query parameter `name` set to `value`. */
function withParam(link: string, name: string, value: string): string {
  const url = new URL(link)
  url.searchParams.set(name, value)

  return pathOf(url.toString())
}

async function localStore(dataDir: string): Promise<LocalFileStore> {
  const store = await createFileStore(readFileStorageSettings({}), dataDir)
  assert.ok(store instanceof LocalFileStore)

  return store
}

/** The service with only the file link door, on an in-memory database. */
async function startFileService(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<Service> {
  const config = loadConfig({
    WEBHOOK_SECRET: TEST_SECRET,
    BASE_PATH: '/pressos',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    ...env,
  })

  return startService({
    config,
    logger: createLogger(config.logLevel, new CapturedLog()),
    database: await createTestDatabase('pglite'),
    pollingIntervalSeconds: 0.5,
    doors: [fileLinkDoor],
  })
}

/** The status of GET `rawPath`, sent over a socket exactly as written. */
async function rawGet(service: Service, rawPath: string): Promise<number> {
  if (!service.app.server.listening) {
    await service.app.listen({ host: '127.0.0.1', port: 0 })
  }
  const { port } = service.app.server.address() as AddressInfo

  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: rawPath }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
      .on('error', reject)
      .end()
  })
}

describe('local file store and its link door', () => {
  let dataDir: string
  let store: LocalFileStore
  let service: Service
  const key = objectKey('confirmations', ['t1', 'm1', '0'], 'WO 1042.pdf')

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pressos-files-'))
    store = await localStore(dataDir)
    service = await startFileService(dataDir)
    await store.put(key, PDF, 'application/pdf')
  })

  after(async () => {
    await service.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  const get = (url: string) => service.app.inject({ method: 'GET', url })

  it('serves the bytes and content type through a valid link', async () => {
    const link = await store.linkFor(key, 600, BASE_URL)

    const response = await get(pathOf(link))

    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['content-type'], 'application/pdf')
    assert.deepEqual(response.rawPayload, PDF)
    assert.equal(response.headers['content-length'], String(PDF.length))
  })

  it('lets caches keep the file only for the seconds the link has left', async () => {
    const link = await store.linkFor(key, 600, BASE_URL)

    const response = await get(pathOf(link))

    const maxAge = /^private, max-age=(\d+)$/.exec(
      String(response.headers['cache-control']),
    )
    assert.ok(maxAge, `cache-control is ${response.headers['cache-control']}`)
    assert.ok(Number(maxAge[1]) > 590 && Number(maxAge[1]) <= 600)
  })

  it('links under BASE_PATH with the expiry and signature in the query', async () => {
    const link = new URL(await store.linkFor(key, 600, `${BASE_URL}/`))

    assert.equal(link.pathname, `/pressos/files/${key}`)
    assert.match(link.searchParams.get('expires') ?? '', /^\d+$/)
    assert.match(link.searchParams.get('signature') ?? '', /^[0-9a-f]{64}$/)
  })

  it('refuses a tampered signature with 403 problem+json', async () => {
    const link = await store.linkFor(key, 600, BASE_URL)
    const signature = new URL(link).searchParams.get('signature') ?? ''
    const flipped = (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1)

    const response = await get(withParam(link, 'signature', flipped))

    assert.equal(response.statusCode, 403)
    assert.match(String(response.headers['content-type']), /problem\+json/)
    assert.match(response.json().detail, /invalid or has expired/)
    assert.match(response.json().detail, /Ask for a new link/)
  })

  it('refuses a link whose key was changed with 403', async () => {
    const other = objectKey('confirmations', ['t1', 'm1', '1'], 'other.pdf')
    await store.put(other, Buffer.from('%PDF-1.4 other'), 'application/pdf')
    const link = await store.linkFor(key, 600, BASE_URL)

    const response = await get(pathOf(link.replace(key, other)))

    assert.equal(response.statusCode, 403)
  })

  it('refuses a link that has expired with 403', async () => {
    const expires = unixSeconds() - 1
    const signature = store.signLink(key, expires)

    const response = await get(
      `/pressos/files/${key}?expires=${expires}&signature=${signature}`,
    )

    assert.equal(response.statusCode, 403)
    assert.match(response.json().detail, /expired/)
  })

  it('refuses a link with a parameter missing with 403', async () => {
    const link = new URL(await store.linkFor(key, 600, BASE_URL))
    const withoutExpiry = new URL(link)
    withoutExpiry.searchParams.delete('expires')
    const withoutSignature = new URL(link)
    withoutSignature.searchParams.delete('signature')

    const responses = await Promise.all([
      get(pathOf(withoutExpiry.toString())),
      get(pathOf(withoutSignature.toString())),
      get(`/pressos/files/${key}`),
    ])

    assert.deepEqual(
      responses.map((response) => response.statusCode),
      [403, 403, 403],
    )
  })

  it('answers 404 to a valid link whose file is gone', async () => {
    const gone = objectKey('confirmations', ['t9', 'm9', '0'], 'gone.pdf')
    const link = await store.linkFor(gone, 600, BASE_URL)

    const response = await get(pathOf(link))

    assert.equal(response.statusCode, 404)
    assert.match(String(response.headers['content-type']), /problem\+json/)
  })

  it('refuses a path with .. in it with 403, even when signed', async () => {
    const sneaky = 'confirmations/t1/../../../file-link-secret'
    const expires = unixSeconds() + 600
    const signature = store.signLink(sneaky, expires)
    const query = `?expires=${expires}&signature=${signature}`
    const escaped = sneaky.replaceAll('..', '%2E%2E')

    // inject() and fetch() tidy `..` away as browsers do; a raw socket
    // sends the path exactly as written.
    const statuses = [
      await rawGet(service, `/pressos/files/${sneaky}${query}`),
      await rawGet(service, `/pressos/files/${escaped}${query}`),
    ]

    assert.deepEqual(statuses, [403, 403])
  })

  it('leaves only the file and its meta behind, no temporary files', async () => {
    const folder = path.join(dataDir, 'files', 'confirmations', 't1', 'm1', '0')

    const names = await readdir(folder)

    assert.deepEqual(names.sort(), ['.WO-1042.pdf.meta.json', 'WO-1042.pdf'])
    assert.deepEqual(await readFile(path.join(folder, 'WO-1042.pdf')), PDF)
  })

  it('keeps the made-up link secret readable by its owner only', async () => {
    const { mode } = await stat(path.join(dataDir, LINK_SECRET_FILE))

    assert.equal(mode & 0o777, 0o600)
  })

  it('accepts links from a second store on the same data folder', async () => {
    const restarted = await localStore(dataDir)

    const link = await restarted.linkFor(key, 600, BASE_URL)
    const response = await get(pathOf(link))

    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.rawPayload, PDF)
  })

  it('refuses links signed with another FILE_LINK_SECRET', async () => {
    const settings = readFileStorageSettings({ FILE_LINK_SECRET: 'k-1' })
    const configured = await createFileStore(settings, dataDir)

    const link = await configured.linkFor(key, 600, BASE_URL)
    const response = await get(pathOf(link))

    assert.equal(response.statusCode, 403)
  })
})

describe('file link door with an S3 store', () => {
  it('answers 404: S3 serves its own files', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pressos-files-'))
    const service = await startFileService(dataDir, {
      S3_BUCKET: 'pressos-test',
    })
    try {
      const response = await service.app.inject({
        method: 'GET',
        url: '/pressos/files/a/b.pdf?expires=1&signature=00',
      })

      assert.equal(response.statusCode, 404)
      assert.match(response.json().detail, /S3/)
    } finally {
      await service.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('objectKey', () => {
  it('joins prefix, ids and a readable file name', () => {
    assert.equal(
      objectKey('invoices', ['18c2f', 'a41', '0'], 'Invoice #1042 (final).pdf'),
      'invoices/18c2f/a41/0/Invoice-1042-final.pdf',
    )
  })

  it('drops folders, accents and anything unsafe from the file name', () => {
    assert.equal(
      objectKey('p', ['1'], '../../etc/Résumé  été.PDF'),
      'p/1/Resume-ete.PDF',
    )
    assert.equal(objectKey('p', ['1'], 'C:\\Users\\shop\\art.ai'), 'p/1/art.ai')
  })

  it('never leaves an empty, hidden or dot-dot name', () => {
    assert.equal(objectKey('p', ['1'], ''), 'p/1/file')
    assert.equal(objectKey('p', ['1'], '..'), 'p/1/file')
    assert.equal(objectKey('p', ['1'], '.pdf'), 'p/1/file.pdf')
    assert.equal(objectKey('p', ['1'], '請求書.pdf'), 'p/1/file.pdf')
    assert.equal(objectKey('p', ['1'], '.hidden'), 'p/1/file.hidden')
  })

  it('shortens long names to 120 characters and keeps the extension', () => {
    const name = objectKey('p', ['1'], `${'a'.repeat(300)}.pdf`).split('/')[2]

    assert.equal(name?.length, 120)
    assert.ok(name?.endsWith('aaa.pdf'))
  })

  it('makes the same file name unique by its ids', () => {
    const keys = new Set([
      objectKey('mail', ['t1', 'm1', '0'], 'proof.pdf'),
      objectKey('mail', ['t1', 'm1', '1'], 'proof.pdf'),
      objectKey('mail', ['t1', 'm2', '0'], 'proof.pdf'),
      objectKey('mail', ['t2', 'm1', '0'], 'proof.pdf'),
    ])

    assert.equal(keys.size, 4)
  })

  it('refuses ids that are not safe rather than changing them', () => {
    assert.throws(() => objectKey('mail', ['..'], 'a.pdf'), /"\.\."/)
    assert.throws(() => objectKey('mail', ['a/b'], 'a.pdf'), /not safe/)
    assert.throws(() => objectKey('mail', [''], 'a.pdf'), /not safe/)
    assert.throws(() => objectKey('', ['t1'], 'a.pdf'), /not safe/)
  })
})
