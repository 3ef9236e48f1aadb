/**
 * Telling a database outage from every other failure: an error that means
 * the server could not be reached, or dropped the connection, or is starting
 * or stopping. Such a request changed nothing and can be sent again later, so
 * the doors answer it with 503 and `Retry-After` rather than a 500.
 */

/** Seconds a caller is asked to wait before sending again. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5

// Socket errors of a connection that could not be made or was cut.
const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

// SQLSTATEs of a server that is going away, starting up or full:
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
// 53300 too_many_connections; or that refuses a new connection to the
// configured database: 3D000 invalid_catalog_name (it was dropped),
// 28000 and 28P01 (its role or password no longer works). Class 08
// (connection exceptions) is whole.
const OUTAGE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '3D000',
  '28000',
  '28P01',
])

// node-postgres says these in words, with no code.
const OUTAGE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
]

/**
 * True when `error`, or an error it wraps (Drizzle wraps the driver's error
 * as its `cause`), says the database is out of reach.
 */
export function isDatabaseOutage(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth += 1) {
    if (describesOutage(cause as FailureFacts)) return true
    cause = (cause as FailureFacts).cause
  }

  return false
}

interface FailureFacts {
  code?: unknown
  message?: unknown
  cause?: unknown
}

function describesOutage(error: FailureFacts): boolean {
  const code = typeof error.code === 'string' ? error.code : ''
  if (SOCKET_ERROR_CODES.has(code) || OUTAGE_SQLSTATES.has(code)) return true
  if (/^08[0-9A-Z]{3}$/.test(code)) return true

  const message = typeof error.message === 'string' ? error.message : ''

  return OUTAGE_MESSAGES.some((words) => message.includes(words))
}
