import { Elysia } from 'elysia'
import { NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { Config } from '../../config.ts'
import { bearerChallenge, jsonError } from '../../http/errors.ts'
import { operation } from '../../http/openapi-operation.ts'
import { METRICS_UNAUTHORIZED, metricsAuthorized } from '../../platform/metrics-token.ts'
import type { Registry } from 'prom-client'

// GET /metrics: the Prometheus text exposition. Optional bearer token; never cached.

export function metricsRoutes(deps: { config: Config; registry: Registry }) {
  const { registry } = deps
  const token = deps.config.METRICS_TOKEN
  return new Elysia({ name: 'metrics' })
    .use(routeOptions())
    .get(
    '/metrics',
    async ({ request }) => {
      if (!metricsAuthorized(request.headers.get('authorization'), token)) {
        return jsonError(401, METRICS_UNAUTHORIZED.code, METRICS_UNAUTHORIZED.message, { 'www-authenticate': bearerChallenge(request.headers.has('authorization')) })
      }
      return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } })
    },
    {
      cachePolicy: NO_STORE,
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
