/**
 * The shop's mailbox: the few Gmail calls the mail doors make, on the
 * mailbox named by the Gmail settings, with Google's failures turned into
 * one error type that says which call failed and why.
 */
import type { gmail_v1 } from '@googleapis/gmail'
import type { GmailSettings } from '../config/gmail-settings.js'
import { connectGmail } from './gmail-connection.js'
import {
  readMessage,
  type MailAttachment,
  type MailMessage,
  type MailThread,
} from './mail-message.js'

/** Threads asked for in one `threads.list` call; Gmail's own default. */
const THREAD_PAGE_SIZE = 100

/**
 * Raised when a Gmail call fails. The message names the call, what it was
 * about, the HTTP status and Google's own words; never a token or secret.
 */
export class MailboxError extends Error {
  override name = 'MailboxError'

  constructor(
    message: string,
    /** The Gmail API method, like `threads.list`. */
    readonly call: string,
    /** The HTTP status Google answered; undefined when none came. */
    readonly status: number | undefined,
  ) {
    super(message)
  }
}

/** Labels to put on and take off a thread, by label id. */
export interface LabelChange {
  add?: string[]
  remove?: string[]
}

/** The shop's Gmail mailbox. */
export class Mailbox {
  /** Wraps a client built by `connectGmail`; `user` is an address or `me`. */
  constructor(
    private readonly gmail: gmail_v1.Gmail,
    private readonly user: string,
  ) {}

  /** Opens the mailbox the settings name. Nothing is sent yet. */
  static connect(settings: GmailSettings): Mailbox {
    return new Mailbox(connectGmail(settings), settings.user)
  }

  /**
   * The id of the label called `name`, ignoring case; the label is created,
   * shown in Gmail's label list, when the mailbox has none of that name.
   */
  async labelId(name: string): Promise<string> {
    const existing = await this.findLabel(name)
    if (existing !== undefined) return existing

    try {
      return await this.createLabel(name)
    } catch (error) {
      // 409: another worker created it between our look-up and our create.
      if (!(error instanceof MailboxError) || error.status !== 409) throw error

      const created = await this.findLabel(name)
      if (created === undefined) throw error

      return created
    }
  }

  /**
   * Ids of the threads carrying `labelId`, newest first, following Gmail's
   * pages until there are no more or `max` ids were found.
   */
  async threadIdsWithLabel(labelId: string, max = 500): Promise<string[]> {
    const ids: string[] = []
    let pageToken: string | undefined
    do {
      const page = await this.listThreads(labelId, max - ids.length, pageToken)
      for (const thread of page.threads ?? []) {
        if (thread.id) ids.push(thread.id)
      }
      pageToken = page.nextPageToken ?? undefined
    } while (pageToken !== undefined && ids.length < max)

    return ids.slice(0, max)
  }

  /** Reads a whole conversation, every message with its parts. */
  async readThread(threadId: string): Promise<MailThread> {
    const thread = await this.call('threads.get', `thread "${threadId}"`, () =>
      this.gmail.users.threads.get({
        userId: this.user,
        id: threadId,
        format: 'full',
      }),
    )

    return {
      id: thread.id ?? threadId,
      messages: (thread.messages ?? []).map(readMessage),
    }
  }

  /** Fetches the bytes of an attachment Gmail kept apart from its message. */
  async attachment(messageId: string, attachmentId: string): Promise<Buffer> {
    const body = await this.call(
      'messages.attachments.get',
      `an attachment of message "${messageId}"`,
      () =>
        this.gmail.users.messages.attachments.get({
          userId: this.user,
          messageId,
          id: attachmentId,
        }),
    )

    return Buffer.from(body.data ?? '', 'base64url')
  }

  /** The bytes of `attachment`: those it carried, else fetched from Gmail. */
  async attachmentBytes(
    message: MailMessage,
    attachment: MailAttachment,
  ): Promise<Buffer> {
    if (attachment.data !== undefined) return attachment.data

    if (attachment.attachmentId === undefined) {
      throw new Error(
        `attachment "${attachment.filename}" of message "${message.id}" ` +
          'has neither bytes nor an attachment id; read the thread again ' +
          "with format 'full'",
      )
    }

    return this.attachment(message.id, attachment.attachmentId)
  }

  /** Puts labels on and takes labels off every message of a thread. */
  async relabel(threadId: string, change: LabelChange): Promise<void> {
    const addLabelIds = change.add ?? []
    const removeLabelIds = change.remove ?? []
    if (addLabelIds.length === 0 && removeLabelIds.length === 0) return

    await this.call('threads.modify', `thread "${threadId}"`, () =>
      this.gmail.users.threads.modify({
        userId: this.user,
        id: threadId,
        requestBody: { addLabelIds, removeLabelIds },
      }),
    )
  }

  private async findLabel(name: string): Promise<string | undefined> {
    const list = await this.call('labels.list', `label "${name}"`, () =>
      this.gmail.users.labels.list({ userId: this.user }),
    )
    const wanted = name.toLowerCase()
    const label = list.labels?.find((l) => l.name?.toLowerCase() === wanted)

    return label?.id ?? undefined
  }

  private async createLabel(name: string): Promise<string> {
    const label = await this.call('labels.create', `label "${name}"`, () =>
      this.gmail.users.labels.create({
        userId: this.user,
        requestBody: {
          name,
          labelListVisibility: 'labelShow',
          messageListVisibility: 'show',
        },
      }),
    )
    if (!label.id) {
      throw new MailboxError(
        `Gmail labels.create for label "${name}" answered without an id`,
        'labels.create',
        undefined,
      )
    }

    return label.id
  }

  private listThreads(
    labelId: string,
    wanted: number,
    pageToken: string | undefined,
  ): Promise<gmail_v1.Schema$ListThreadsResponse> {
    return this.call('threads.list', `label "${labelId}"`, () =>
      this.gmail.users.threads.list({
        userId: this.user,
        labelIds: [labelId],
        maxResults: Math.min(THREAD_PAGE_SIZE, wanted),
        pageToken,
      }),
    )
  }

  /** Runs one Gmail call, turning its failure into a `MailboxError`. */
  private async call<T>(
    method: string,
    about: string,
    send: () => Promise<{ data: T }>,
  ): Promise<T> {
    try {
      const response = await send()

      return response.data
    } catch (error) {
      throw failureOf(method, `${about} in mailbox "${this.user}"`, error)
    }
  }
}

/** What to do about a failure, by the HTTP status Google answered. */
const ADVICE: [(status: number) => boolean, string][] = [
  [(s) => s === 401, 'check the Gmail credentials (the GMAIL_ settings)'],
  [
    (s) => s === 403,
    'check that the account may use the gmail.modify scope (for a service ' +
      'account, its domain-wide delegation)',
  ],
  [(s) => s === 404, 'the thread, message or label may have been deleted'],
  [(s) => s === 409, 'someone changed it at the same moment; try again'],
  [(s) => s === 429, "Gmail's quota is used up for now; try again later"],
  [(s) => s >= 500, 'Gmail is having trouble; try again later'],
  [(s) => s >= 400, 'check the ids and label names sent'],
]

// Only the status and Google's message are quoted: the error itself holds
// the request, whose headers carry the access token.
function failureOf(
  method: string,
  about: string,
  error: unknown,
): MailboxError {
  const status = statusOf(error)
  if (status === undefined) {
    const reason = error instanceof Error ? error.message : String(error)

    return new MailboxError(
      `Gmail ${method} for ${about} got no answer (${reason}); check that ` +
        'the service can reach Gmail and its token endpoint',
      method,
      undefined,
    )
  }

  const oauthError = tokenEndpointError(error)
  const what = oauthError ? 'could not sign in' : 'failed'
  const words = oauthError ?? googleMessageOf(error)
  const advice = oauthError
    ? 'check the Gmail credentials (the GMAIL_ settings)'
    : ADVICE.find(([applies]) => applies(status))?.[1]

  return new MailboxError(
    `Gmail ${method} for ${about} ${what}: HTTP ${status}` +
      (words ? `, "${words}"` : '') +
      (advice ? `; ${advice}` : ''),
    method,
    status,
  )
}

interface AnsweredError {
  status?: unknown
  response?: { status?: unknown; data?: unknown }
}

function statusOf(error: unknown): number | undefined {
  const answered = error as AnsweredError | undefined
  const status = answered?.status ?? answered?.response?.status

  return typeof status === 'number' ? status : undefined
}

function answerOf(error: unknown): Record<string, unknown> {
  const data = (error as AnsweredError).response?.data

  return typeof data === 'object' && data !== null
    ? (data as Record<string, unknown>)
    : {}
}

/** Google's API errors read `{ error: { code, message, status } }`. */
function googleMessageOf(error: unknown): string | undefined {
  const detail = answerOf(error).error as { message?: unknown } | undefined
  const message = detail?.message

  return typeof message === 'string' ? message : undefined
}

/** OAuth token endpoints answer `{ error, error_description }`. */
function tokenEndpointError(error: unknown): string | undefined {
  const answer = answerOf(error)
  if (typeof answer.error !== 'string') return undefined

  const description = answer.error_description

  return typeof description === 'string'
    ? `${answer.error}: ${description}`
    : answer.error
}
