/**
 * The rows of the live feed, shared by the page and its stream: the filters
 * a reader chose, read from a query string, and one event rendered as the
 * table row the page lists it in.
 */
import type { FeedEvent, FeedFilters } from '../live-feed/feed-reading.js'
import { renderFragment } from './console-views.js'
import type { ShownTime } from './shop-time.js'

/** The query parameters of the feed, by filter. */
export const FILTER_PARAMS = {
  eventType: 'type',
  source: 'source',
  workOrderId: 'work_order',
  door: 'door',
} as const satisfies Record<keyof FeedFilters, string>

/** Longest filter value kept, in characters; longer ones are cut. */
const MAX_FILTER_LENGTH = 200

/** The filters in `query`; blank values filter nothing. */
export function readFeedFilters(query: unknown): FeedFilters {
  const params = (query ?? {}) as Record<string, unknown>
  const filters: FeedFilters = {}

  for (const [field, param] of Object.entries(FILTER_PARAMS)) {
    const value = params[param]
    if (typeof value !== 'string' || value.trim() === '') continue

    filters[field as keyof FeedFilters] = value
      .trim()
      .slice(0, MAX_FILTER_LENGTH)
  }

  return filters
}

/** `filters` and `extra` as a query string, `?` included when not empty. */
export function feedQueryString(
  filters: FeedFilters,
  extra: Record<string, string | number> = {},
): string {
  const params = new URLSearchParams()
  for (const [field, param] of Object.entries(FILTER_PARAMS)) {
    const value = filters[field as keyof FeedFilters]
    if (value) params.set(param, value)
  }
  for (const [name, value] of Object.entries(extra)) {
    params.set(name, String(value))
  }
  const text = params.toString()

  return text === '' ? '' : `?${text}`
}

/** What rendering a row needs besides the event. */
export interface RowView {
  /** The console's prefix, for links. */
  base: string
  /** Shows a moment in the shop's time zone. */
  time: (at: Date | null | undefined) => ShownTime | undefined
}

/** The `<tr>` of `event`, as the feed table lists it. */
export function renderFeedRow(event: FeedEvent, view: RowView): string {
  return renderFragment('./feed-row', { ...view, event })
}

/** The rule-run cell of `event`'s row, to replace the one shown. */
export function renderRuleRunCell(event: FeedEvent): string {
  return renderFragment('./feed-rule-runs', { event })
}
