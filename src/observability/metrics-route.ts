/**
 * `GET /metrics` under BASE_PATH: the service's metrics for Prometheus, for
 * a scraper holding METRICS_TOKEN or an operator signed in to the console.
 * It is not a door, so its own requests are not counted among the doors'.
 */
import type { FastifyInstance } from 'fastify'
import {
  requireMetricsReader,
  type SignInCheck,
} from '../guards/metrics-access.js'
import type { ServiceMetrics } from './metrics.js'

/** Path of the metrics, after BASE_PATH. */
export const METRICS_PATH = '/metrics'

/** What the metrics route is built with. */
export interface MetricsRouteOptions {
  metrics: ServiceMetrics
  /** Prefix in front of the path, like `/pressos`; empty for none. */
  basePath: string
  /** Accepted bearer tokens; with none, only console users get in. */
  tokens: readonly string[]
  /** Asked when no accepted token was sent; absent, nobody is signed in. */
  isSignedIn?: SignInCheck
}

/** An extension of the server (`AppParts.extensions`) serving the metrics. */
export function metricsRoute(options: MetricsRouteOptions) {
  const { metrics, tokens, isSignedIn } = options

  return async (app: FastifyInstance) => {
    app.get(options.basePath + METRICS_PATH, async (request, reply) => {
      await requireMetricsReader(request, tokens, isSignedIn)

      const text = await metrics.exposition()

      return reply
        .type(metrics.contentType)
        .header('cache-control', 'no-store')
        .send(text)
    })
  }
}
