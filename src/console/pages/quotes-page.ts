/**
 * `<console>/quotes`: the price quotes the pricing door kept, newest first;
 * `<console>/quotes/:id` is one quote's request and its priced lines.
 * Amounts are integer cents, written as money only on the page.
 */
import type { FastifyInstance } from 'fastify'
import { HttpProblem } from '../../http/problem.js'
import { pathId, queryInteger } from '../../http/query-params.js'
import type { PricedQuote } from '../../pricing/quote-pricing.js'
import {
  listQuoteSnapshots,
  readQuoteSnapshot,
} from '../../pricing/quote-snapshots.js'
import type { ConsoleContext } from '../console-context.js'
import { renderPage } from '../console-views.js'
import { displayFormats } from '../display-formats.js'

/** Quotes shown on one page. */
const PAGE_SIZE = 50

/**
 * What a stored request says, read with care: it is the body as sent,
 * checked when it was priced, and older rows may lack a field.
 */
interface RequestSummary {
  customer: string | undefined
  reference: string | undefined
  neededBy: string | undefined
  rush: boolean
  items: { style: string; colour: string; pieces: number }[]
  pieces: number
}

/** Registers the quotes page and the page of each quote. */
export function quotesPage(scope: FastifyInstance, context: ConsoleContext) {
  const page = `${context.config.basePath}/console/quotes`
  const orm = context.database.orm
  const formats = displayFormats(context.config.shopTimeZone)

  scope.get(page, async (request, reply) => {
    const offset = queryInteger(request, 'offset', 0, {
      min: 0,
      max: 1_000_000,
    })
    const rows = await listQuoteSnapshots(orm, { limit: PAGE_SIZE, offset })

    return renderPage(request, reply, './quotes', {
      title: 'Quotes',
      ...formats,
      quotes: rows.map((row) => ({ ...row, summary: summarize(row.request) })),
      nextOffset: rows.length === PAGE_SIZE ? offset + PAGE_SIZE : undefined,
    })
  })

  scope.get(`${page}/:id`, async (request, reply) => {
    const id = pathId(request, 'id')
    const row = await readQuoteSnapshot(orm, id)
    if (!row) {
      throw new HttpProblem(
        404,
        'not-found',
        'No such quote',
        `There is no quote ${id}. The Quotes page lists every stored quote.`,
      )
    }

    return renderPage(request, reply, './quote', {
      title: `Quote ${row.id}`,
      ...formats,
      quote: row,
      summary: summarize(row.request),
      priced: row.result as PricedQuote,
      requestJson: JSON.stringify(row.request, null, 2),
    })
  })
}

/** The customer, reference, dates and items of a stored request. */
function summarize(request: unknown): RequestSummary {
  const body = (request ?? {}) as Record<string, unknown>
  const items = Array.isArray(body.items) ? body.items : []
  const listed = items.map((item: Record<string, unknown>) => ({
    style: String(item?.style ?? '?'),
    colour: String(item?.colour ?? '?'),
    pieces: piecesOf(item?.sizes),
  }))

  return {
    customer: textOf(body.customer),
    reference: textOf(body.reference),
    neededBy: textOf(body.needed_by),
    rush: body.rush === true,
    items: listed,
    pieces: listed.reduce((sum, item) => sum + item.pieces, 0),
  }
}

function piecesOf(sizes: unknown): number {
  if (typeof sizes !== 'object' || sizes === null) return 0

  return Object.values(sizes).reduce<number>(
    (sum, count) => sum + (typeof count === 'number' ? count : 0),
    0,
  )
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}
