import type { Registry } from 'prom-client'
import { METRICS_UNAUTHORIZED, metricsAuthorized } from './metrics-token.ts'

/** A bare /metrics endpoint for processes without the HTTP API (the worker); METRICS_TOKEN guards it as it guards the server's. */
export function serveMetrics(registry: Registry, hostname: string, port: number, token: string | undefined) {
  return Bun.serve({
    hostname,
    port,
    async fetch(req) {
      if (new URL(req.url).pathname !== '/metrics') return new Response('not found', { status: 404 })
      if (!metricsAuthorized(req.headers.get('authorization'), token)) {
        return Response.json({ error: METRICS_UNAUTHORIZED }, { status: 401, headers: { 'www-authenticate': 'Bearer', 'cache-control': 'no-store' } })
      }
      return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' } })
    },
  })
}
