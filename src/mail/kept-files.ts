/**
 * Keeps the attachments of a Gmail thread in file storage, under keys that
 * name the thread, message and attachment, so that two files with the same
 * name never overwrite each other and a retry writes the same keys again.
 */
import type { FileStore } from '../files/file-store.js'
import { objectKey } from '../files/file-store.js'
import type { Mailbox } from '../gmail/mailbox.js'
import type {
  MailAttachment,
  MailMessage,
  MailThread,
} from '../gmail/mail-message.js'
import type { KeptFile } from '../storage/schema.js'

/** A kept file as listed for people and partners: with a link to it. */
export interface LinkedFile {
  file_name: string
  content_type: string
  size_bytes: number
  url: string
}

/** How long a file link works, and the base URL of the service's own. */
export interface LinkTerms {
  /** How long each file link works, in seconds. */
  linkExpirySeconds: number
  /** The service's public base URL, for files it serves itself. */
  localBaseUrl: string
}

/** `files` with a link to each, from `store`. */
export function linkKeptFiles(
  files: readonly KeptFile[],
  store: FileStore,
  terms: LinkTerms,
): Promise<LinkedFile[]> {
  return Promise.all(
    files.map(async (file) => ({
      file_name: file.fileName,
      content_type: file.contentType,
      size_bytes: file.sizeBytes,
      url: await store.linkFor(
        file.key,
        terms.linkExpirySeconds,
        terms.localBaseUrl,
      ),
    })),
  )
}

/** Stores the attachments of `thread` that `wanted` picks, under `prefix`. */
export async function keepAttachments(
  mailbox: Mailbox,
  store: FileStore,
  thread: MailThread,
  prefix: string,
  wanted: (attachment: MailAttachment) => boolean,
): Promise<KeptFile[]> {
  const kept: KeptFile[] = []
  for (const message of thread.messages) {
    for (const [index, attachment] of message.attachments.entries()) {
      if (!wanted(attachment)) continue

      kept.push(
        await keepOne(mailbox, store, message, attachment, index, prefix),
      )
    }
  }

  return kept
}

async function keepOne(
  mailbox: Mailbox,
  store: FileStore,
  message: MailMessage,
  attachment: MailAttachment,
  index: number,
  prefix: string,
): Promise<KeptFile> {
  const bytes = await mailbox.attachmentBytes(message, attachment)
  const key = objectKey(
    prefix,
    [message.threadId, message.id, String(index)],
    attachment.filename,
  )
  const stored = await store.put(key, bytes, attachment.mimeType)

  return {
    key: stored.key,
    fileName: attachment.filename,
    contentType: stored.contentType,
    sizeBytes: stored.size,
    sha256: stored.sha256,
  }
}
