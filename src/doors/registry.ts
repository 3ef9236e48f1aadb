/**
 * Every door of PressOS Inbound, in the order the PressOS webhooks page
 * lists them. The server registers routes from this list and nothing else.
 */
import type { Door } from './door.js'
import { eventsDoor } from './events-door.js'
import { healthDoor, readinessDoor } from './health-doors.js'
import { pingDoor } from './ping-door.js'

/** All doors. */
export const DOORS: readonly Door[] = [
  eventsDoor,
  pingDoor,
  healthDoor,
  readinessDoor,
]
