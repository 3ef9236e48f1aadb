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
