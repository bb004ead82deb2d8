import { Elysia } from 'elysia'
import { observeCache } from '../../cache/cache-metrics.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { jsonError } from '../../http/errors.ts'
import { operation } from '../../http/openapi-operation.ts'
import type { Sql } from '../../platform/db.ts'
import { registry } from '../../platform/metrics.ts'
import { METRICS_UNAUTHORIZED, metricsAuthorized } from '../../platform/metrics-token.ts'
import { observeJobQueue } from '../jobs/queue-metrics.ts'

// GET /metrics: the Prometheus text exposition. Optional bearer token; never cached.

export function metricsRoutes(deps: { config: Config; cache: TieredCache; sql: Sql }) {
  const token = deps.config.METRICS_TOKEN
  return new Elysia({ name: 'metrics' }).get(
    '/metrics',
    async ({ request }) => {
      if (!metricsAuthorized(request.headers.get('authorization'), token)) {
        return jsonError(401, METRICS_UNAUTHORIZED.code, METRICS_UNAUTHORIZED.message, { 'www-authenticate': 'Bearer' })
      }
      // The registry is per process; point its scrape-time collectors at this app's cache and pool.
      observeCache(deps.cache)
      observeJobQueue(deps.sql)
      return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } })
    },
    {
      detail: operation({
        tags: ['health'],
        summary: 'Prometheus metrics',
        description: 'Text exposition format. Requires `Authorization: Bearer $METRICS_TOKEN` when that is set; absent when ENABLE_METRICS=false.',
        access: token ? 'metrics' : 'public',
        ok: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
        noDatabase: true,
      }),
    },
  )
}
