/**
 * Where the PDFs pulled from the shop's mail are kept: an S3 bucket or a
 * folder under DATA_DIR, behind one interface, each file under a key that
 * is unique and safe to use as a path.
 */
import type { FileStorageSettings } from '../config/file-storage-settings.js'

/** A file as stored. */
export interface StoredFile {
  key: string
  /** Length of the file, in bytes. */
  size: number
  contentType: string
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string
}

/** Keeps files and hands out links to them. */
export interface FileStore {
  readonly driver: 's3' | 'local'
  /**
   * Stores `body` under `key`, replacing only a file of that same key;
   * `objectKey` makes keys unique.
   */
  put(key: string, body: Buffer, contentType: string): Promise<StoredFile>
  /**
   * A GET link to the file that works for `expiresInSeconds` seconds.
   * `localBaseUrl` is the service's own public base URL (origin followed by
   * BASE_PATH); only the local driver uses it.
   */
  linkFor(
    key: string,
    expiresInSeconds: number,
    localBaseUrl: string,
  ): Promise<string>
}

/** Longest file name `objectKey` keeps, in characters. */
export const MAX_FILE_NAME_LENGTH = 120

// One segment of a key: safe characters, never starting with a dot, so
// that `.` and `..` cannot occur and dot-names stay free for the store.
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/

// An extension worth keeping when a long name is shortened.
const EXTENSION = /\.[A-Za-z0-9]{1,10}$/

/**
 * Builds a unique, safe object key `<prefix>/<part>/.../<file name>`.
 * `uniqueParts` are the ids that make it unique (thread id, message id,
 * attachment index); they and each segment of `prefix` must already be safe
 * (letters, digits, `.`, `_`, `-`, not starting with a dot). `fileName` is
 * reduced to safe characters, spaces becoming `-`, at most 120 characters,
 * its extension kept; `file` stands in when nothing is left.
 *
 * @example objectKey('mail', ['18c2f', '0'], 'Art proof (v2).pdf')
 *   // 'mail/18c2f/0/Art-proof-v2.pdf'
 * @throws Error naming a prefix segment or part that is not safe.
 */
export function objectKey(
  prefix: string,
  uniqueParts: string[],
  fileName: string,
): string {
  const segments = [...prefix.split('/'), ...uniqueParts]
  for (const segment of segments) requireSafeSegment(segment)

  return [...segments, safeFileName(fileName)].join('/')
}

/** True when every `/`-separated segment of `key` is safe to use as a path. */
export function isSafeKey(key: string): boolean {
  return key.split('/').every((segment) => SAFE_SEGMENT.test(segment))
}

/**
 * The store `settings` ask for: the S3 bucket when `S3_BUCKET` is set, else
 * a folder under `dataDir`.
 */
export async function createFileStore(
  settings: FileStorageSettings,
  dataDir: string,
): Promise<FileStore> {
  // Imported on demand, so a shop without S3 never loads the AWS SDK.
  if (settings.s3Bucket !== undefined) {
    const { createS3FileStore } = await import('./s3-file-store.js')

    return createS3FileStore({ ...settings, s3Bucket: settings.s3Bucket })
  }

  const { LocalFileStore } = await import('./local-file-store.js')

  return LocalFileStore.open(settings, dataDir)
}

function requireSafeSegment(segment: string) {
  if (SAFE_SEGMENT.test(segment)) return

  throw new Error(
    `object key part ${JSON.stringify(segment)} is not safe: key prefixes ` +
      'and unique parts must be 1 to 128 letters, digits, ".", "_" or "-", ' +
      'not starting with a dot. Pass ids as they are (Gmail ids, indexes) ' +
      'and leave the file name to objectKey.',
  )
}

function safeFileName(fileName: string): string {
  const baseName = fileName.split(/[/\\]/).pop() ?? ''
  const reduced = reduceToSafeCharacters(baseName)
  const extension = EXTENSION.exec(reduced)?.[0] ?? ''
  const stem = trimJoiners(reduced.slice(0, reduced.length - extension.length))
  const kept = trimJoiners(
    stem.slice(0, MAX_FILE_NAME_LENGTH - extension.length),
  )

  return (kept === '' ? 'file' : kept) + extension
}

function reduceToSafeCharacters(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/\s+/g, '-')
    .replace(/[^A-Za-z0-9._-]/g, '')
    .replace(/-{2,}/g, '-')
}

// Dots, dashes and underscores at either end of a stem read as noise, and a
// leading dot would hide the file or make `..`.
function trimJoiners(stem: string): string {
  return stem.replace(/^[._-]+/, '').replace(/[._-]+$/, '')
}
