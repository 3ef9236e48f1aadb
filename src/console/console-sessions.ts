/**
 * Console sign-ins, kept in the database so that every server process knows
 * them. The browser holds a random token; the table holds only its SHA-256,
 * with the secret behind the session's CSRF tokens.
 */
import { createHash, randomBytes } from 'node:crypto'
import Tokens from '@fastify/csrf'
import { eq, lt } from 'drizzle-orm'
import type { Orm } from '../storage/database.js'
import { consoleSessions } from '../storage/schema.js'

/** A signed-in person. */
export interface ConsoleSession {
  userName: string
  expiresAt: Date
  /** Makes a CSRF token for this session's forms. */
  csrfToken(): string
  /** True when `token` was made for this session. */
  checkCsrf(token: string): boolean
}

const csrf = Tokens()

/** Opens, finds and closes console sessions. */
export class ConsoleSessions {
  constructor(
    private readonly orm: Orm,
    private readonly hours: number,
  ) {}

  /** Opens a session for `userName`; returns the cookie's token. */
  async open(userName: string): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    const expiresAt = new Date(Date.now() + this.hours * 3_600_000)

    await this.orm
      .delete(consoleSessions)
      .where(lt(consoleSessions.expiresAt, new Date()))
    await this.orm.insert(consoleSessions).values({
      tokenHash: hashOf(token),
      userName,
      csrfSecret: await csrf.secret(),
      expiresAt,
    })

    return token
  }

  /** The live session of `token`, if any. */
  async find(token: string | undefined): Promise<ConsoleSession | undefined> {
    if (!token) return undefined

    const [row] = await this.orm
      .select()
      .from(consoleSessions)
      .where(eq(consoleSessions.tokenHash, hashOf(token)))
    if (!row || row.expiresAt.getTime() <= Date.now()) return undefined

    return {
      userName: row.userName,
      expiresAt: row.expiresAt,
      csrfToken: () => csrf.create(row.csrfSecret),
      checkCsrf: (candidate) => csrf.verify(row.csrfSecret, candidate),
    }
  }

  /** Ends the session of `token`. */
  async close(token: string | undefined) {
    if (!token) return

    await this.orm
      .delete(consoleSessions)
      .where(eq(consoleSessions.tokenHash, hashOf(token)))
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
