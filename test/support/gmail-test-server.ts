/**
 * A real HTTP server standing in for Gmail: it answers the calls the
 * mailbox makes in the Gmail REST API's wire format, under
 * `/gmail/v1/users/{userId}/`, and runs a token endpoint for both sign-in
 * kinds, so tests drive Google's own client end to end.
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A file a test message carries. */
export interface TestAttachment {
  filename: string
  mimeType: string
  data: Buffer
  /** Sent inside the message as `body.data` rather than by id. */
  inline?: boolean
}

/** A message a test puts in the mailbox. */
export interface TestMessage {
  id?: string
  subject: string
  /** The From header, like `Dana Reyes <dana@acme.test>`. */
  from: string
  date?: Date
  text?: string
  html?: string
  attachments?: TestAttachment[]
}

/** A thread a test puts in the mailbox; labels by name, made when new. */
export interface TestThread {
  id?: string
  labels: string[]
  messages: TestMessage[]
}

/** The secrets the token endpoint accepts. */
export interface TestSignIn {
  refreshToken?: { clientId: string; clientSecret: string; token: string }
  serviceAccount?: { email: string; impersonate: string }
}

/** One request the server received. */
export interface LoggedRequest {
  method: string
  path: string
  query: URLSearchParams
  /** The JSON or form body, parsed; undefined when empty. */
  body: unknown
}

interface Label {
  id: string
  name: string
  type: 'system' | 'user'
  labelListVisibility?: string
  messageListVisibility?: string
}

interface Part {
  partId: string
  mimeType: string
  filename: string
  headers: { name: string; value: string }[]
  body: { size: number; data?: string; attachmentId?: string }
  parts?: Part[]
}

interface StoredMessage {
  id: string
  threadId: string
  labelIds: Set<string>
  internalDate: number
  snippet: string
  payload: Part
  attachments: Map<string, Buffer>
}

interface Answer {
  status: number
  body: unknown
}

interface Scripted {
  method: string
  path: RegExp
  times: number
  status?: number
  action?: () => void
}

type Route = [
  method: string,
  path: RegExp,
  answer: (ids: string[], request: LoggedRequest) => Answer,
]

const SYSTEM_LABELS = ['INBOX', 'SENT', 'UNREAD', 'IMPORTANT', 'TRASH']

/** Google's status names and stock messages, by HTTP status. */
const GOOGLE_STATUSES: Record<number, [string, string]> = {
  400: ['INVALID_ARGUMENT', 'Invalid argument.'],
  401: ['UNAUTHENTICATED', 'Request had no valid OAuth 2 access token.'],
  403: ['PERMISSION_DENIED', 'Request had insufficient scopes.'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  409: ['ABORTED', 'Label name exists or conflicts'],
  429: ['RESOURCE_EXHAUSTED', 'Quota exceeded.'],
  500: ['INTERNAL', 'Internal error encountered.'],
  503: ['UNAVAILABLE', 'The service is currently unavailable.'],
}

/** A stand-in for Gmail and Google's token endpoint. */
export class GmailTestServer {
  /** Every request, token requests included, in arrival order. */
  readonly requests: LoggedRequest[] = []
  /** Access tokens handed out, so tests can look for leaks. */
  readonly accessTokens = new Set<string>()
  /** Calls to the token endpoint, granted or not. */
  tokenRequests = 0
  private server: Server | undefined
  private readonly labels = new Map<string, Label>()
  private readonly threads = new Map<string, StoredMessage[]>()
  private readonly scripted: Scripted[] = []
  private lastId = 0x193a0000000
  /** When the next message without a date arrived, in ms since 1970. */
  private clock = Date.UTC(2025, 5, 2, 9)

  private readonly routes: Route[] = [
    ['GET', /^labels$/, () => this.listLabels()],
    ['POST', /^labels$/, (_, r) => this.createLabel(r.body)],
    ['GET', /^threads$/, (_, r) => this.listThreads(r.query)],
    ['GET', /^threads\/([^/]+)$/, ([id]) => this.getThread(id!)],
    [
      'POST',
      /^threads\/([^/]+)\/modify$/,
      ([id], r) => this.modifyThread(id!, r.body),
    ],
    [
      'GET',
      /^messages\/([^/]+)\/attachments\/([^/]+)$/,
      ([messageId, id]) => this.getAttachment(messageId!, id!),
    ],
  ]

  constructor(private readonly signIn: TestSignIn) {
    for (const name of SYSTEM_LABELS) {
      this.labels.set(name, { id: name, name, type: 'system' })
    }
  }

  /** Listens on a free port of 127.0.0.1. */
  async start(): Promise<{ rootUrl: string; tokenUrl: string }> {
    this.server = createServer((request, response) => {
      const answered = this.answer(request).catch(() =>
        googleError(400, 'Invalid JSON payload received.'),
      )
      void answered.then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify(body))
      })
    })
    await new Promise<void>((resolve) =>
      this.server!.listen(0, '127.0.0.1', resolve),
    )
    const { port } = this.server.address() as AddressInfo
    const origin = `http://127.0.0.1:${port}`

    return { rootUrl: `${origin}/`, tokenUrl: `${origin}/token` }
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise((resolve) => this.server?.close(resolve))
  }

  /** Empties the mailbox of threads and scripted failures. */
  clearThreads(): void {
    this.threads.clear()
    this.scripted.length = 0
    this.requests.length = 0
  }

  /** Adds a user label unless one of that name exists; returns its id. */
  addLabel(name: string): string {
    const existing = this.labelNamed(name)
    if (existing !== undefined) return existing.id

    const id = `Label_${this.labels.size - SYSTEM_LABELS.length + 1}`
    this.labels.set(id, { id, name, type: 'user' })

    return id
  }

  /** Puts a thread in the mailbox; returns its id. */
  addThread(thread: TestThread): string {
    const labelIds = thread.labels.map((name) => this.addLabel(name))
    const ids = thread.messages.map((m) => m.id ?? this.nextId())
    // Gmail names a thread after its first message.
    const threadId = thread.id ?? ids[0] ?? this.nextId()
    const messages = thread.messages.map((message, i) =>
      this.storeMessage(threadId, { ...message, id: ids[i] }, labelIds),
    )
    this.threads.set(threadId, messages)

    return threadId
  }

  /** Names of the labels on any message of a thread, sorted. */
  labelNamesOf(threadId: string): string[] {
    const ids = new Set(this.threads.get(threadId)?.flatMap(labelIdsOf))

    return [...ids].map((id) => this.labels.get(id)!.name).sort()
  }

  /** The label called `name`, as Gmail would list it. */
  label(name: string): Label | undefined {
    return this.labelNamed(name)
  }

  /** Answers the next `times` matching requests with a Google error. */
  failNext(method: string, path: RegExp, status: number, times = 1): void {
    this.scripted.push({ method, path, times, status })
  }

  /** Runs `action` just before the next matching request is answered. */
  beforeNext(method: string, path: RegExp, action: () => void): void {
    this.scripted.push({ method, path, times: 1, action })
  }

  private async answer(request: IncomingMessage): Promise<Answer> {
    const logged = await readRequest(request)
    this.requests.push(logged)
    const failure = this.runScript(logged)
    if (failure !== undefined) return googleError(failure)

    if (logged.method === 'POST' && logged.path === '/token') {
      return this.grantToken(logged.body as URLSearchParams)
    }

    const gmailPath = /^\/gmail\/v1\/users\/[^/]+\/(.+)$/.exec(logged.path)
    if (gmailPath === null) return googleError(404)

    if (!this.accessTokens.has(bearerOf(request))) return googleError(401)

    return this.route(gmailPath[1]!, logged)
  }

  private runScript(request: LoggedRequest): number | undefined {
    const entry = this.scripted.find(
      (s) => s.method === request.method && s.path.test(request.path),
    )
    if (entry === undefined) return undefined

    entry.times -= 1
    if (entry.times === 0) this.scripted.splice(this.scripted.indexOf(entry), 1)
    entry.action?.()

    return entry.status
  }

  private route(path: string, request: LoggedRequest): Answer {
    for (const [method, pattern, answer] of this.routes) {
      const match = pattern.exec(path)
      if (method === request.method && match !== null) {
        return answer(match.slice(1).map(decodeURIComponent), request)
      }
    }

    return googleError(404)
  }

  private grantToken(form: URLSearchParams): Answer {
    this.tokenRequests += 1
    const refusal = this.refusalOf(form)
    if (refusal !== undefined) return refusal

    const token = `ya29.test-${randomBytes(16).toString('hex')}`
    this.accessTokens.add(token)

    return {
      status: 200,
      body: { access_token: token, expires_in: 3600, token_type: 'Bearer' },
    }
  }

  private refusalOf(form: URLSearchParams): Answer | undefined {
    const grant = form.get('grant_type')
    if (grant === 'refresh_token') return this.checkRefreshToken(form)

    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return this.checkAssertion(form.get('assertion') ?? '')
    }

    return oauthError(400, 'unsupported_grant_type', `${grant}`)
  }

  private checkRefreshToken(form: URLSearchParams): Answer | undefined {
    const expected = this.signIn.refreshToken
    if (
      expected === undefined ||
      form.get('client_id') !== expected.clientId ||
      form.get('client_secret') !== expected.clientSecret
    ) {
      return oauthError(401, 'invalid_client', 'Unauthorized')
    }
    if (form.get('refresh_token') !== expected.token) {
      return oauthError(400, 'invalid_grant', 'Bad Request')
    }

    return undefined
  }

  // The signature is not checked: the test made the key a moment ago.
  private checkAssertion(assertion: string): Answer | undefined {
    const expected = this.signIn.serviceAccount
    const payload = assertion.split('.')[1] ?? ''
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    if (
      expected === undefined ||
      claims.iss !== expected.email ||
      claims.sub !== expected.impersonate
    ) {
      return oauthError(400, 'invalid_grant', 'Invalid email or User ID')
    }

    return undefined
  }

  private listLabels(): Answer {
    return { status: 200, body: { labels: [...this.labels.values()] } }
  }

  private createLabel(body: unknown): Answer {
    const wanted = body as Partial<Label>
    if (!wanted.name) return googleError(400, 'Invalid label name')

    if (this.labelNamed(wanted.name) !== undefined) return googleError(409)

    const id = this.addLabel(wanted.name)
    const label = this.labels.get(id)!
    label.labelListVisibility = wanted.labelListVisibility
    label.messageListVisibility = wanted.messageListVisibility

    return { status: 200, body: label }
  }

  private listThreads(query: URLSearchParams): Answer {
    const wanted = query.getAll('labelIds')
    const found = [...this.threads.entries()]
      .filter(([, messages]) => hasLabels(messages, wanted))
      .sort(([, a], [, b]) => lastDate(b) - lastDate(a))
    const size = Math.min(Number(query.get('maxResults') ?? 100), 500)
    const start = Number(query.get('pageToken') ?? 0)
    const page = found.slice(start, start + size)
    const next = start + size < found.length ? `${start + size}` : undefined

    return {
      status: 200,
      body: {
        // Gmail leaves `threads` out when none match.
        ...(page.length > 0 && { threads: page.map(threadSummary) }),
        ...(next !== undefined && { nextPageToken: next }),
        resultSizeEstimate: found.length,
      },
    }
  }

  private getThread(id: string): Answer {
    const messages = this.threads.get(id)
    if (messages === undefined) return googleError(404)

    return {
      status: 200,
      body: {
        id,
        historyId: historyIdOf(messages),
        messages: messages.map(fullMessage),
      },
    }
  }

  private modifyThread(id: string, body: unknown): Answer {
    const messages = this.threads.get(id)
    if (messages === undefined) return googleError(404)

    const change = body as { addLabelIds?: string[]; removeLabelIds?: string[] }
    const unknown = [
      ...(change.addLabelIds ?? []),
      ...(change.removeLabelIds ?? []),
    ].find((labelId) => !this.labels.has(labelId))
    if (unknown !== undefined)
      return googleError(400, `Invalid label: ${unknown}`)

    for (const message of messages) {
      change.addLabelIds?.forEach((l) => message.labelIds.add(l))
      change.removeLabelIds?.forEach((l) => message.labelIds.delete(l))
    }
    const minimal = messages.map((m) => ({
      id: m.id,
      threadId: id,
      labelIds: labelIdsOf(m),
    }))

    return {
      status: 200,
      body: { id, historyId: historyIdOf(messages), messages: minimal },
    }
  }

  private getAttachment(messageId: string, id: string): Answer {
    const messages = [...this.threads.values()].flat()
    const message = messages.find((m) => m.id === messageId)
    const data = message?.attachments.get(id)
    if (data === undefined) return googleError(404)

    return {
      status: 200,
      body: { size: data.length, data: data.toString('base64url') },
    }
  }

  private storeMessage(
    threadId: string,
    message: TestMessage,
    labelIds: string[],
  ): StoredMessage {
    const id = message.id ?? this.nextId()
    this.clock += 60_000
    const date = message.date ?? new Date(this.clock)
    const attachments = new Map<string, Buffer>()
    const parts = (message.attachments ?? []).map((file) =>
      attachmentPart(file, attachments),
    )
    const payload = wrapParts(bodyPart(message), parts)
    payload.headers = [...messageHeaders(id, message, date), ...payload.headers]
    numberParts(payload, '')

    return {
      id,
      threadId,
      labelIds: new Set(labelIds),
      internalDate: date.getTime(),
      snippet: (message.text ?? message.html ?? '').slice(0, 100),
      payload,
      attachments,
    }
  }

  private labelNamed(name: string): Label | undefined {
    const wanted = name.toLowerCase()

    return [...this.labels.values()].find(
      (l) => l.name.toLowerCase() === wanted,
    )
  }

  private nextId(): string {
    this.lastId += 1

    return this.lastId.toString(16)
  }
}

async function readRequest(request: IncomingMessage): Promise<LoggedRequest> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  const url = new URL(request.url ?? '/', 'http://gmail.test')
  const isForm = request.headers['content-type']?.includes('form-urlencoded')
  let body: unknown
  if (text !== '') body = isForm ? new URLSearchParams(text) : JSON.parse(text)

  return {
    method: request.method ?? '',
    path: url.pathname,
    query: url.searchParams,
    body,
  }
}

function bearerOf(request: IncomingMessage): string {
  const header = request.headers.authorization ?? ''

  return header.startsWith('Bearer ') ? header.slice('Bearer '.length) : ''
}

function googleError(code: number, message?: string): Answer {
  const [status, stock] = GOOGLE_STATUSES[code] ?? ['UNKNOWN', 'Unknown error.']

  return {
    status: code,
    body: { error: { code, message: message ?? stock, status } },
  }
}

function oauthError(code: number, error: string, description: string): Answer {
  return { status: code, body: { error, error_description: description } }
}

function labelIdsOf(message: StoredMessage): string[] {
  return [...message.labelIds]
}

function hasLabels(messages: StoredMessage[], labelIds: string[]): boolean {
  return labelIds.every((id) => messages.some((m) => m.labelIds.has(id)))
}

function lastDate(messages: StoredMessage[]): number {
  return Math.max(...messages.map((m) => m.internalDate))
}

function historyIdOf(messages: StoredMessage[]): string {
  return String(lastDate(messages) % 1_000_000)
}

function threadSummary([id, messages]: [string, StoredMessage[]]): object {
  const last = messages[messages.length - 1]

  return { id, snippet: last?.snippet ?? '', historyId: historyIdOf(messages) }
}

function fullMessage(message: StoredMessage): object {
  return {
    id: message.id,
    threadId: message.threadId,
    labelIds: labelIdsOf(message),
    snippet: message.snippet,
    historyId: String(message.internalDate % 1_000_000),
    internalDate: String(message.internalDate),
    payload: message.payload,
    sizeEstimate: JSON.stringify(message.payload).length,
  }
}

function messageHeaders(
  id: string,
  message: TestMessage,
  date: Date,
): Part['headers'] {
  return [
    { name: 'MIME-Version', value: '1.0' },
    { name: 'Date', value: date.toUTCString().replace('GMT', '+0000') },
    { name: 'Message-ID', value: `<${id}@mail.test>` },
    { name: 'Subject', value: message.subject },
    { name: 'From', value: message.from },
    { name: 'To', value: 'orders@shop.test' },
  ]
}

/** The text of a message: plain, HTML, or both as multipart/alternative. */
function bodyPart(message: TestMessage): Part {
  const plain =
    message.text === undefined ? [] : [textPart('text/plain', message.text)]
  const html =
    message.html === undefined ? [] : [textPart('text/html', message.html)]
  const texts = [...plain, ...html]
  if (texts.length === 1) return texts[0]!

  if (texts.length === 0) return textPart('text/plain', '')

  return container('multipart/alternative', texts)
}

function wrapParts(body: Part, attachments: Part[]): Part {
  if (attachments.length === 0) return body

  return container('multipart/mixed', [body, ...attachments])
}

function textPart(mimeType: string, text: string): Part {
  const bytes = Buffer.from(text, 'utf8')

  return {
    partId: '',
    mimeType,
    filename: '',
    headers: [
      { name: 'Content-Type', value: `${mimeType}; charset="UTF-8"` },
      { name: 'Content-Transfer-Encoding', value: 'quoted-printable' },
    ],
    body: { size: bytes.length, data: bytes.toString('base64url') },
  }
}

function container(mimeType: string, parts: Part[]): Part {
  const boundary = randomBytes(8).toString('hex')

  return {
    partId: '',
    mimeType,
    filename: '',
    headers: [
      { name: 'Content-Type', value: `${mimeType}; boundary="${boundary}"` },
    ],
    body: { size: 0 },
    parts,
  }
}

function attachmentPart(file: TestAttachment, kept: Map<string, Buffer>): Part {
  const attachmentId = `ANGjdJ_${randomBytes(24).toString('base64url')}`
  if (!file.inline) kept.set(attachmentId, file.data)

  return {
    partId: '',
    mimeType: file.mimeType,
    filename: file.filename,
    headers: [
      {
        name: 'Content-Type',
        value: `${file.mimeType}; name="${file.filename}"`,
      },
      {
        name: 'Content-Disposition',
        value: `attachment; filename="${file.filename}"`,
      },
      { name: 'Content-Transfer-Encoding', value: 'base64' },
    ],
    body: file.inline
      ? { size: file.data.length, data: file.data.toString('base64url') }
      : { size: file.data.length, attachmentId },
  }
}

/** Gmail numbers parts `0`, `1`, `0.1`…; the top part's id is empty. */
function numberParts(part: Part, id: string): void {
  part.partId = id
  part.parts?.forEach((child, i) =>
    numberParts(child, id === '' ? `${i}` : `${id}.${i}`),
  )
}
