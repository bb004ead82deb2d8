import type { Registry } from 'prom-client'

/** A bare /metrics endpoint for processes without the HTTP API (the worker). */
export function serveMetrics(registry: Registry, hostname: string, port: number) {
  return Bun.serve({
    hostname,
    port,
    async fetch(req) {
      if (new URL(req.url).pathname !== '/metrics') return new Response('not found', { status: 404 })
      return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' } })
    },
  })
}
