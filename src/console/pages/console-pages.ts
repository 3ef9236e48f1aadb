/**
 * The console's pages, in menu order. Each registers its routes on the
 * signed-in scope.
 */
import type { ConsolePage } from '../console-context.js'
import { eventPage } from './event-page.js'
import { feedPage } from './feed-page.js'
import { notificationsPage } from './notifications-page.js'
import { confirmationsPage } from './confirmations-page.js'
import { conversationsPage } from './conversations-page.js'
import { inboxPage } from './inbox-page.js'
import { quotesPage } from './quotes-page.js'
import { roadmapPage } from './roadmap-page.js'
import { rejectedPage } from './rejected-page.js'
import { webhooksPage } from './webhooks-page.js'

/** Every page of the console. */
export const CONSOLE_PAGES: readonly ConsolePage[] = [
  webhooksPage,
  feedPage,
  eventPage,
  rejectedPage,
  inboxPage,
  conversationsPage,
  confirmationsPage,
  quotesPage,
  roadmapPage,
  notificationsPage,
]
