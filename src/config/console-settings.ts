/**
 * Who may sign in to the operator console: named users with Argon2 password
 * hashes (`CONSOLE_USERS`), or one shared password (`CONSOLE_PASSWORD`) for
 * the user `shop`. With neither, the console stays closed.
 */
import { ConfigError, readInteger, readText, type Env } from './env-readers.js'

/** One person who may sign in. */
export interface ConsoleUser {
  name: string
  /** An Argon2 hash in PHC form (`$argon2id$...`), or... */
  passwordHash?: string
  /** ...a password given in plain text, hashed when the service starts. */
  password?: string
}

/** Console settings. */
export interface ConsoleSettings {
  users: ConsoleUser[]
  /** How long a sign-in lasts, in hours. */
  sessionHours: number
  /** Failed and successful sign-ins allowed per client address a minute. */
  signInAttemptsPerMinute: number
}

/** The name `CONSOLE_PASSWORD` signs in as. */
export const SHARED_USER_NAME = 'shop'

/** Reads the console settings from `env`. */
export function readConsoleSettings(env: Env): ConsoleSettings {
  return {
    users: [...readUsers(env), ...readSharedPassword(env)],
    sessionHours: readInteger(env, 'CONSOLE_SESSION_HOURS', 12, 1, 24 * 30),
    signInAttemptsPerMinute: readInteger(
      env,
      'CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE',
      5,
      1,
      1_000,
    ),
  }
}

// Entries are separated by semicolons or new lines: Argon2 hashes hold
// commas of their own.
function readUsers(env: Env): ConsoleUser[] {
  const text = readText(env, 'CONSOLE_USERS')
  if (text === undefined) return []

  return text
    .split(/[;\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(readUser)
}

function readUser(entry: string): ConsoleUser {
  const colon = entry.indexOf(':')
  const name = entry.slice(0, colon).trim()
  const passwordHash = entry.slice(colon + 1).trim()

  if (colon < 1 || !/^[\w.@-]+$/.test(name)) {
    throw new ConfigError(
      'CONSOLE_USERS must list name:hash entries separated by ";", with ' +
        'names of letters, digits, ".", "@", "-" or "_"; an entry starts ' +
        `"${entry.slice(0, 12)}"`,
    )
  }
  if (!passwordHash.startsWith('$argon2')) {
    throw new ConfigError(
      `CONSOLE_USERS: the password of "${name}" must be an Argon2 hash ` +
        '($argon2id$...); make one with `npm run console:hash-password`',
    )
  }

  return { name, passwordHash }
}

function readSharedPassword(env: Env): ConsoleUser[] {
  const password = readText(env, 'CONSOLE_PASSWORD')
  if (password === undefined) return []

  if (password.length < 10) {
    throw new ConfigError(
      'CONSOLE_PASSWORD must be at least 10 characters long; it guards ' +
        'everything the shop received',
    )
  }

  return [{ name: SHARED_USER_NAME, password }]
}
