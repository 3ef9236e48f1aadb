/**
 * Serves files kept under DATA_DIR to whoever holds a link the service
 * handed out, until the link expires. Files in S3 are served by S3 itself.
 */
import type { FastifyRequest } from 'fastify'
import type { FileStore } from '../files/file-store.js'
import {
  FILE_LINK_PATH,
  LocalFileStore,
  unixSeconds,
} from '../files/local-file-store.js'
import { HttpProblem } from '../http/problem.js'
import type { Door } from './door.js'

const SIGNED_LINK = {
  scheme: 'none',
  summary: 'No password: each link carries its own signature and expiry.',
  technical:
    'HMAC-SHA256 over key and expiry with FILE_LINK_SECRET (or a secret ' +
    'kept in DATA_DIR); links expire after FILE_LINK_EXPIRY_SECONDS.',
} as const

/** The expiry and signature a link carries in its query. */
interface LinkQuery {
  /** Unix time, in seconds. */
  expires: number
  signature: string
}

/** `GET /files/*`: one stored file, through a signed, expiring link. */
export const fileLinkDoor: Door = {
  id: 'files.link',
  section: 'service',
  path: `${FILE_LINK_PATH}/*`,
  methods: ['GET'],
  security: SIGNED_LINK,
  purpose:
    "Serves a PDF (or other file) pulled from the shop's mail to whoever " +
    'holds a link the service handed out, until the link expires.',
  success: {
    status: 200,
    mediaType: '*/*',
    description: 'The file, with its own content type (often a PDF).',
  },
  refusals: [
    { status: 403, when: 'The link is invalid or has expired.' },
    { status: 404, when: 'The file is gone, or files are kept in S3.' },
  ],
  handler: (context) => async (request, reply) => {
    const local = requireLocalStore(context.fileStore)
    const key = (request.params as Record<string, string>)['*'] ?? ''
    const link = readLinkQuery(request, key)
    const check = local.checkLink(key, link.expires, link.signature)
    if (check !== 'valid') {
      request.log.debug({ key, check }, 'refused a file link')
      throw invalidLink(key)
    }

    const file = await local.openFile(key)
    if (!file) throw missingFile(key)

    const secondsLeft = Math.max(0, link.expires - unixSeconds())

    return reply
      .type(file.contentType)
      .header('content-length', file.size)
      .header('cache-control', `private, max-age=${secondsLeft}`)
      .header('content-disposition', `inline; filename="${nameOf(key)}"`)
      .header('x-content-type-options', 'nosniff')
      .send(file.body)
  },
}

function requireLocalStore(store: FileStore): LocalFileStore {
  if (store instanceof LocalFileStore) return store

  throw new HttpProblem(
    404,
    'not-found',
    'Files are not served here',
    'This service keeps its files in S3 (S3_BUCKET is set), and links to ' +
      'them point at S3 directly. Ask for a new link to the file.',
  )
}

function readLinkQuery(request: FastifyRequest, key: string): LinkQuery {
  const query = request.query as Record<string, unknown>
  const { expires, signature } = query
  if (
    typeof expires !== 'string' ||
    !/^\d{1,12}$/.test(expires) ||
    typeof signature !== 'string'
  ) {
    throw invalidLink(key)
  }

  return { expires: Number(expires), signature }
}

function invalidLink(key: string): HttpProblem {
  return new HttpProblem(
    403,
    'invalid-file-link',
    'Invalid or expired file link',
    `The link to ${JSON.stringify(key)} is invalid or has expired: its ` +
      'expires and signature parameters must be exactly as handed out, and ' +
      'links last FILE_LINK_EXPIRY_SECONDS. Ask for a new link to the file.',
  )
}

function missingFile(key: string): HttpProblem {
  return new HttpProblem(
    404,
    'file-not-found',
    'File not found',
    `The link is valid but no file ${JSON.stringify(key)} is stored any ` +
      'more. Ask for a new link; if that fails, the file has to be pulled ' +
      'from the mail again.',
  )
}

// Keys are made of safe characters only, so the name needs no escaping.
function nameOf(key: string): string {
  return key.split('/').pop() ?? 'file'
}
