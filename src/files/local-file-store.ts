/**
 * Files kept in a folder under DATA_DIR, handed out as links to the file
 * link door that carry their own expiry and an HMAC-SHA256 signature.
 */
import {
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import type { FileStorageSettings } from '../config/file-storage-settings.js'
import { isSafeKey, type FileStore, type StoredFile } from './file-store.js'

/** Path of the file link door under BASE_PATH; keys follow it. */
export const FILE_LINK_PATH = '/files'

/** Name of the file in DATA_DIR that keeps the generated link secret. */
export const LINK_SECRET_FILE = 'file-link-secret'

/** What a link check found. */
export type LinkCheck = 'valid' | 'forged' | 'expired'

/** A stored file opened for reading. */
export interface OpenedFile {
  /** Length of the file, in bytes. */
  size: number
  contentType: string
  body: Readable
}

/** Written beside each file, as `.<file name>.meta.json`. */
interface FileMeta {
  contentType: string
  size: number
  sha256: string
}

const FALLBACK_CONTENT_TYPE = 'application/octet-stream'

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+(;[\w\s.+=";-]*)?$/

const HEX_SIGNATURE = /^[0-9a-f]{64}$/

/** Keeps files in `<dataDir>/files/<key>`. */
export class LocalFileStore implements FileStore {
  readonly driver = 'local'

  private constructor(
    private readonly folder: string,
    private readonly secret: Buffer,
  ) {}

  /**
   * Opens the store in `dataDir`. Links are signed with FILE_LINK_SECRET or,
   * when it is unset, with a secret made once and kept in
   * `<dataDir>/file-link-secret`, so that links outlive a restart.
   */
  static async open(
    settings: FileStorageSettings,
    dataDir: string,
  ): Promise<LocalFileStore> {
    const secret = await loadLinkSecret(settings.linkSecret, dataDir)

    return new LocalFileStore(path.join(dataDir, 'files'), secret)
  }

  async put(
    key: string,
    body: Buffer,
    contentType: string,
  ): Promise<StoredFile> {
    const file = this.pathOf(key)
    const meta: FileMeta = {
      contentType,
      size: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    }
    await mkdir(path.dirname(file), { recursive: true })
    // The meta first: once the file is there, its content type is too.
    await writeAtomically(metaPathOf(file), JSON.stringify(meta))
    await writeAtomically(file, body)

    return { key, ...meta }
  }

  async linkFor(
    key: string,
    expiresInSeconds: number,
    localBaseUrl: string,
  ): Promise<string> {
    requireSafeKey(key)
    requireLifetime(expiresInSeconds)

    const expires = unixSeconds() + expiresInSeconds
    const base = localBaseUrl.replace(/\/+$/, '')
    const encodedKey = key.split('/').map(encodeURIComponent).join('/')
    const signature = this.signLink(key, expires)

    return (
      `${base}${FILE_LINK_PATH}/${encodedKey}` +
      `?expires=${expires}&signature=${signature}`
    )
  }

  /**
   * The signature of a link to `key` that expires at `expires` (Unix time,
   * in seconds): HMAC-SHA256 over `<key>\n<expires>`, lowercase hex.
   */
  signLink(key: string, expires: number): string {
    return createHmac('sha256', this.secret)
      .update(`${key}\n${expires}`)
      .digest('hex')
  }

  /**
   * Whether `signature` was made by this store for `key` and `expires`
   * (Unix time, in seconds), and that time is still ahead of `now`.
   * Signatures are compared in constant time.
   */
  checkLink(
    key: string,
    expires: number,
    signature: string,
    now = unixSeconds(),
  ): LinkCheck {
    if (!isSafeKey(key) || !HEX_SIGNATURE.test(signature)) return 'forged'

    const expected = Buffer.from(this.signLink(key, expires), 'hex')
    const given = Buffer.from(signature, 'hex')
    if (!timingSafeEqual(expected, given)) return 'forged'

    return expires > now ? 'valid' : 'expired'
  }

  /** The file stored under `key`, or undefined when there is none. */
  async openFile(key: string): Promise<OpenedFile | undefined> {
    if (!isSafeKey(key)) return undefined

    const file = this.pathOf(key)
    const handle = await open(file, 'r').catch(absentAsUndefined)
    if (!handle) return undefined

    const stats = await handle.stat()
    if (!stats.isFile()) {
      await handle.close()

      return undefined
    }

    const contentType = await readContentType(file)

    return { size: stats.size, contentType, body: handle.createReadStream() }
  }

  private pathOf(key: string): string {
    requireSafeKey(key)

    return path.join(this.folder, ...key.split('/'))
  }
}

/** Seconds since the Unix epoch, now. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function requireSafeKey(key: string) {
  if (isSafeKey(key)) return

  throw new Error(
    `file key ${JSON.stringify(key)} cannot be stored locally: each ` +
      'segment must be letters, digits, ".", "_" or "-", not starting with ' +
      'a dot. Build keys with objectKey.',
  )
}

function requireLifetime(seconds: number) {
  if (Number.isSafeInteger(seconds) && seconds > 0) return

  throw new Error(
    `a file link must last a whole, positive number of seconds, got ` +
      `${seconds}. Pass FILE_LINK_EXPIRY_SECONDS (files.linkExpirySeconds).`,
  )
}

// Dot-names never clash with a key: key segments cannot start with a dot.
function metaPathOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.meta.json`)
}

async function writeAtomically(file: string, data: string | Buffer) {
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`,
  )
  try {
    await writeFile(temporary, data, { flag: 'wx' })
    await rename(temporary, file)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

async function readContentType(file: string): Promise<string> {
  const text = await readFile(metaPathOf(file), 'utf8').catch(() => undefined)
  if (text === undefined) return FALLBACK_CONTENT_TYPE

  try {
    const { contentType } = JSON.parse(text) as Partial<FileMeta>
    const usable =
      typeof contentType === 'string' && MEDIA_TYPE.test(contentType)

    return usable ? contentType : FALLBACK_CONTENT_TYPE
  } catch {
    return FALLBACK_CONTENT_TYPE
  }
}

function absentAsUndefined(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined

  throw error
}

async function loadLinkSecret(
  configured: string | undefined,
  dataDir: string,
): Promise<Buffer> {
  if (configured !== undefined) return Buffer.from(configured, 'utf8')

  const file = path.join(dataDir, LINK_SECRET_FILE)
  const kept = await readLinkSecret(file)

  return kept ?? (await createLinkSecret(file))
}

async function readLinkSecret(file: string): Promise<Buffer | undefined> {
  const text = await readFile(file, 'utf8').catch(absentAsUndefined)
  if (text === undefined) return undefined

  const hex = text.trim()
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new Error(
      `${file} must hold the file link secret as 64 lowercase hex digits, ` +
        `got ${hex.length} characters of something else. Delete it to have ` +
        'a new one made (links handed out so far stop working), or set ' +
        'FILE_LINK_SECRET.',
    )
  }

  return Buffer.from(hex, 'hex')
}

async function createLinkSecret(file: string): Promise<Buffer> {
  const secret = randomBytes(32)
  await mkdir(path.dirname(file), { recursive: true })
  try {
    await writeFile(file, `${secret.toString('hex')}\n`, {
      mode: 0o600,
      flag: 'wx',
    })
  } catch (error) {
    // Another process made it first; use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error

    return requireLinkSecret(await readLinkSecret(file), file)
  }

  return secret
}

function requireLinkSecret(secret: Buffer | undefined, file: string): Buffer {
  if (secret) return secret

  throw new Error(
    `${file} appeared and vanished while the file link secret was being ` +
      'made. Check that only one service uses this DATA_DIR, then restart.',
  )
}
