/**
 * A customer's email as the mail doors read it: who sent it, when, its text
 * and its attachments, taken out of the nested MIME parts Gmail returns for
 * `format: 'full'`.
 */
import type { gmail_v1 } from '@googleapis/gmail'

type Part = gmail_v1.Schema$MessagePart

/** A file sent with a message, like the artwork or a signed proof. */
export interface MailAttachment {
  filename: string
  mimeType: string
  /** Size of the file in bytes, as Gmail counts it. */
  size: number
  /** Id to fetch the bytes with, when Gmail kept them apart. */
  attachmentId?: string
  /** The bytes, when Gmail sent them inside the message. */
  data?: Buffer
}

/** One email of a conversation. */
export interface MailMessage {
  id: string
  threadId: string
  subject: string
  from: { name: string | null; email: string }
  /** From the Date header; null when it is missing or unreadable. */
  date: Date | null
  /** The plain text body, or the HTML body as text when there is none. */
  text: string
  attachments: MailAttachment[]
  labelIds: string[]
}

/** A Gmail conversation: the messages in the order they arrived. */
export interface MailThread {
  id: string
  messages: MailMessage[]
}

/** What a walk through the parts of a message collects. */
interface Contents {
  plain: string | undefined
  html: string | undefined
  attachments: MailAttachment[]
}

/** Reads a Gmail message fetched with `format: 'full'`. */
export function readMessage(message: gmail_v1.Schema$Message): MailMessage {
  const payload = message.payload ?? {}
  const contents = collectContents(payload, {
    plain: undefined,
    html: undefined,
    attachments: [],
  })

  return {
    id: message.id ?? '',
    threadId: message.threadId ?? '',
    subject: headerOf(payload, 'Subject') ?? '',
    from: readSender(headerOf(payload, 'From') ?? ''),
    date: readDate(headerOf(payload, 'Date')),
    text: contents.plain ?? htmlToText(contents.html ?? ''),
    attachments: contents.attachments,
    labelIds: message.labelIds ?? [],
  }
}

/**
 * Whether `attachment` is a PDF: by its type, or by a `.pdf` name when the
 * sender's mail program only called it `application/octet-stream`.
 */
export function isPdf(attachment: MailAttachment): boolean {
  const mimeType = attachment.mimeType.toLowerCase()
  if (mimeType === 'application/pdf') return true

  return (
    mimeType === 'application/octet-stream' &&
    attachment.filename.toLowerCase().endsWith('.pdf')
  )
}

// The first plain and the first HTML body win: later ones are usually a
// forwarded message's, nested deeper in the tree.
function collectContents(part: Part, contents: Contents): Contents {
  const mimeType = (part.mimeType ?? '').toLowerCase()
  if (isAttachment(part)) {
    contents.attachments.push(readAttachment(part))

    return contents
  }

  if (mimeType === 'text/plain' && contents.plain === undefined) {
    contents.plain = decodeText(part.body?.data)
  } else if (mimeType === 'text/html' && contents.html === undefined) {
    contents.html = decodeText(part.body?.data)
  }
  for (const child of part.parts ?? []) collectContents(child, contents)

  return contents
}

function isAttachment(part: Part): boolean {
  return Boolean(part.filename) || Boolean(part.body?.attachmentId)
}

function readAttachment(part: Part): MailAttachment {
  const body = part.body ?? {}
  const attachment: MailAttachment = {
    filename: part.filename ?? '',
    mimeType: part.mimeType ?? 'application/octet-stream',
    size: body.size ?? 0,
  }
  if (body.attachmentId) attachment.attachmentId = body.attachmentId
  if (body.data) attachment.data = Buffer.from(body.data, 'base64url')

  return attachment
}

function decodeText(data: string | null | undefined): string {
  const text = Buffer.from(data ?? '', 'base64url').toString('utf8')

  return text.replace(/\r\n/g, '\n')
}

function headerOf(part: Part, name: string): string | undefined {
  const wanted = name.toLowerCase()
  const header = part.headers?.find((h) => h.name?.toLowerCase() === wanted)

  return header?.value ?? undefined
}

/** Reads `Name <address>`, `"Name" <address>` or a bare address. */
function readSender(value: string): MailMessage['from'] {
  const match = /^(.*)<([^<>]+)>\s*$/.exec(value)
  if (match === null) return { name: null, email: value.trim() }

  const name = match[1]!
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim()

  return { name: name === '' ? null : name, email: match[2]!.trim() }
}

function readDate(value: string | undefined): Date | null {
  if (value === undefined) return null

  const date = new Date(value)

  return Number.isNaN(date.getTime()) ? null : date
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  nbsp: ' ',
}

/**
 * Turns an HTML body into readable text: blocks become lines, tags go,
 * the common entities are decoded in one pass so `&amp;lt;` stays `&lt;`.
 */
function htmlToText(html: string): string {
  const text = html
    .replace(/<(head|style|script)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>|<\/?(p|div|tr|li|h[1-6])\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => {
      return ENTITIES[name]!
    })

  return text
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
