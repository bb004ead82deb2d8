import { createHash, timingSafeEqual } from 'node:crypto'
import { Elysia } from 'elysia'
import { NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { Config } from '../../config.ts'
import { jsonError } from '../../http/errors.ts'
import type { Registry } from 'prom-client'

// GET /metrics: the Prometheus text exposition. Optional bearer token; never cached.

const digest = (s: string) => createHash('sha256').update(s).digest()

export function metricsRoutes(deps: { config: Config; registry: Registry }) {
  const { registry } = deps
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
