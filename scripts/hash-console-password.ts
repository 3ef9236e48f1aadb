/**
 * Prints the Argon2 hash of a console password, for `CONSOLE_USERS`:
 *
 *   npm run console:hash-password
 *
 * The password is read from standard input (typed, or piped in), so that it
 * stays out of the shell's history and the process list.
 */
import { createInterface } from 'node:readline/promises'
import { hash } from '@node-rs/argon2'

const MIN_LENGTH = 10

async function main() {
  if (process.stdin.isTTY) process.stderr.write('Password: ')
  const password = await firstLine()

  if (password.length < MIN_LENGTH) {
    process.stderr.write(
      `The password must be at least ${MIN_LENGTH} characters long.\n`,
    )
    process.exit(1)
  }

  process.stdout.write(`${await hash(password)}\n`)
}

async function firstLine(): Promise<string> {
  const input = createInterface({ input: process.stdin, terminal: false })
  for await (const line of input) {
    input.close()

    return line
  }

  return ''
}

await main()
