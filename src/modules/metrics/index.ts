import { createHash, timingSafeEqual } from 'node:crypto'
import { Elysia } from 'elysia'
import { NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import { observeCache } from '../../cache/cache-metrics.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { jsonError } from '../../http/errors.ts'
import type { Sql } from '../../platform/db.ts'
import { registry } from '../../platform/metrics.ts'
import { observeJobQueue } from '../jobs/queue-metrics.ts'

// GET /metrics: the Prometheus text exposition. Optional bearer token; never cached.

const digest = (s: string) => createHash('sha256').update(s).digest()

export function metricsRoutes(deps: { config: Config; cache: TieredCache; sql: Sql }) {
  const token = deps.config.METRICS_TOKEN
  return new Elysia({ name: 'metrics' })
    .use(routeOptions()).get(
    '/metrics',
    async ({ request }) => {
      if (token) {
        const given = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1]?.trim() ?? ''
        if (!timingSafeEqual(digest(given), digest(token))) {
          return jsonError(401, 'unauthorized', '/metrics requires `Authorization: Bearer <METRICS_TOKEN>`', { 'www-authenticate': 'Bearer' })
        }
      }
      // The registry is per process; point its scrape-time collectors at this app's cache and pool.
      observeCache(deps.cache)
      observeJobQueue(deps.sql)
      return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } })
    },
    {
      cachePolicy: NO_STORE,
      detail: {
        tags: ['health'],
        summary: 'Prometheus metrics',
        description: 'Text exposition format. Requires `Authorization: Bearer $METRICS_TOKEN` when that is set; absent when ENABLE_METRICS=false.',
        responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
  )
}
