/**
 * Insights: findings another system (PrintBrain, say) approved for the
 * shop's attention. Each becomes an inbox item, linked to a node of that
 * system's graph when it names one.
 */
import { z } from 'zod'
import { HttpProblem } from '../http/problem.js'
import type { NewInboxItem } from './inbox.js'

const text = (max: number) => z.string().trim().min(1).max(max)

/** The schema an insight is checked with, and documented by. */
export const INSIGHT = z.object({
  title: text(300),
  body: z.string().max(20_000).optional(),
  source: text(100),
  kind: text(100).optional(),
  confidence: z.number().min(0).max(1).optional(),
  priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
  links: z
    .array(
      z.union([
        z.url({ protocol: /^https?$/ }),
        z.object({
          url: z.url({ protocol: /^https?$/ }),
          label: text(200).optional(),
        }),
      ]),
    )
    .max(50)
    .optional(),
  tags: z.array(text(60)).max(50).optional(),
  graph_node: z
    .object({ id: text(200), label: text(300).optional() })
    .optional(),
  work_order_id: text(255).optional(),
})

/** An approved insight, as the door received it. */
export type Insight = z.infer<typeof INSIGHT>

/**
 * Validates the JSON of an insight.
 *
 * @throws HttpProblem 422 naming every field that is wrong.
 */
export function readInsight(body: Record<string, unknown>): Insight {
  const parsed = INSIGHT.safeParse(body)
  if (parsed.success) return parsed.data

  const errors = parsed.error.issues.map((issue) => ({
    field: issue.path.join('.') || '(body)',
    problem: issue.message,
  }))

  throw new HttpProblem(
    422,
    'invalid-insight',
    'The insight is not valid',
    errors.map((e) => `${e.field}: ${e.problem}`).join('; '),
    { errors },
  )
}

/** The inbox item an insight becomes. */
export function inboxItemFor(insight: Insight): NewInboxItem {
  return {
    title: insight.title,
    body: insight.body ?? null,
    priority: insight.priority ?? 'normal',
    kind: insight.kind ?? 'insight',
    source: insight.source,
    workOrderId: insight.work_order_id ?? null,
    tags: insight.tags ?? [],
    links: (insight.links ?? []).map((link) =>
      typeof link === 'string' ? { url: link } : link,
    ),
    confidence: insight.confidence ?? null,
    graphNodeId: insight.graph_node?.id ?? null,
    graphNodeLabel: insight.graph_node?.label ?? null,
  }
}
