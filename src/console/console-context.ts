/**
 * What the console's pages may use: everything the doors may, the registry
 * of doors itself, the door journal and the sessions.
 */
import type { Door, DoorContext } from '../doors/door.js'
import type { DoorJournal } from '../observability/door-journal.js'
import type { ConsoleSessions } from './console-sessions.js'
import type { ConsoleUsers } from './console-users.js'

/** The console's view of the service. */
export interface ConsoleContext extends DoorContext {
  doors: readonly Door[]
  doorJournal: DoorJournal
  sessions: ConsoleSessions
  users: ConsoleUsers
}

/** Registers one page's routes on the signed-in scope. */
export type ConsolePage = (
  scope: import('fastify').FastifyInstance,
  context: ConsoleContext,
) => void
