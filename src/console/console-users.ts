/**
 * Checks console passwords with Argon2 (`@node-rs/argon2`). A plain
 * `CONSOLE_PASSWORD` is hashed once at start, so every check costs the same
 * and the plain text is not kept.
 */
import { hash, verify } from '@node-rs/argon2'
import type { ConsoleUser } from '../config/console-settings.js'

/** The people who may sign in. */
export class ConsoleUsers {
  private constructor(
    private readonly hashes: Map<string, string>,
    // Checked for unknown names, so a wrong name takes as long as a wrong
    // password and does not tell which names exist.
    private readonly decoy: string,
  ) {}

  /** Prepares the users of the settings. */
  static async prepare(users: ConsoleUser[]): Promise<ConsoleUsers> {
    const hashes = new Map<string, string>()
    for (const user of users) {
      hashes.set(user.name, user.passwordHash ?? (await hash(user.password!)))
    }

    return new ConsoleUsers(hashes, await hash('no such user'))
  }

  /** True when somebody may sign in at all. */
  get anyone(): boolean {
    return this.hashes.size > 0
  }

  /** True when `password` is `name`'s. */
  async check(name: string, password: string): Promise<boolean> {
    const known = this.hashes.get(name)
    const matches = await verify(known ?? this.decoy, password).catch(
      () => false,
    )

    return known !== undefined && matches
  }
}
