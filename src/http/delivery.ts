import { Elysia, ElysiaCustomStatusResponse } from 'elysia'
import { acceptsGzip } from './accept-encoding.ts'
import { resolveCachePolicy, type CachePolicy, type CachePolicyTable } from './cache-policy.ts'
import { CacheResult, GZIP_MIN_BYTES, isCompressible, ReadyResponse } from './ready-response.ts'
import { applyExchange, type Exchange } from './edge.ts'
import type { IdentityBodies } from './identity-bodies.ts'
import { serveReady } from './serve-ready.ts'

// The one place responses leave the app: every handler result becomes a ReadyResponse (or already
// is one) and is served with its route's Cache-Control, ETag/304, Vary and gzip. Handlers never
// set caching headers themselves: the policy is the one their route declared (src/http/route-options.ts).
// The edge headers (security, CORS, request id: src/http/edge.ts) are added here too, as the fast
// path adds them through the same serveReady.

function statusOf(set: { status?: number | string }): number {
  return typeof set.status === 'number' ? set.status : 200
}

/** The status a handler result was (or will be) sent with, for logs and metrics. */
export function resultStatus(value: unknown, set: { status?: number | string }): number {
  if (value instanceof Response) return value.status
  if (value instanceof CacheResult) return value.value.status
  if (value instanceof ReadyResponse) return value.status
  if (value instanceof ElysiaCustomStatusResponse) return value.code
  return statusOf(set)
}

/** Handler-set headers (e.g. Content-Disposition) travel with the content. */
function contentHeaders(set: { headers: Record<string, unknown> }): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(set.headers)) {
    const name = k.toLowerCase()
    // Set-Cookie belongs to this exchange, never to content (Elysia adds it to the response itself).
    if (typeof v === 'string' && name !== 'content-type' && name !== 'set-cookie') out[k] = v
  }
  return out
}

/**
 * Responses built elsewhere (plugins, raw Response): add the policy, compress when worthwhile.
 * HEAD included: Elysia takes a HEAD's Content-Length from the GET body it gets here, then drops it.
 */
async function finishRaw(res: Response, request: Request, policy: CachePolicy, exchange: Exchange): Promise<Response> {
  const headers = new Headers(res.headers)
  if (!headers.has('cache-control')) headers.set('cache-control', res.status >= 400 ? 'no-store' : policy.cacheControl)
  applyExchange(headers, exchange)
  const type = headers.get('content-type') ?? ''
  const compressible = isCompressible(type) && res.status !== 206 && res.status !== 204 && res.status !== 304
  if (compressible) headers.set('vary', [headers.get('vary'), 'Accept-Encoding', ...policy.vary].filter(Boolean).join(', '))
  const eligible =
    compressible &&
    res.body !== null &&
    !headers.has('content-encoding') &&
    !(headers.get('cache-control') ?? '').includes('no-transform') &&
    acceptsGzip(request.headers.get('accept-encoding'))
  if (!eligible) return new Response(res.body, { status: res.status, headers })
  const body = new Uint8Array(await res.arrayBuffer())
  if (body.byteLength >= GZIP_MIN_BYTES) {
    const packed = Bun.gzipSync(body, { level: 6 })
    if (packed.byteLength < body.byteLength) {
      headers.set('content-encoding', 'gzip')
      headers.set('content-length', String(packed.byteLength))
      return new Response(packed, { status: res.status, headers })
    }
  }
  headers.set('content-length', String(body.byteLength))
  return new Response(body, { status: res.status, headers })
}

/**
 * `table` is read per response: the app fills it from its routes once they are all added.
 * `exchangeOf` gives the exchange app.fetch made for a request.
 */
export function delivery(table: CachePolicyTable, bodies: IdentityBodies, exchangeOf: (request: Request) => Exchange) {
  return new Elysia({ name: 'delivery' }).mapResponse({ as: 'global' }, ({ responseValue, request, route, set }) => {
    let value: unknown = responseValue
    let status = statusOf(set)
    if (value instanceof ElysiaCustomStatusResponse) {
      status = value.code
      value = value.response
    }
    const exchange = exchangeOf(request)
    if (value instanceof CacheResult) return serveReady(value.value, request, resolveCachePolicy(table, request.method, route, value.value.status), bodies, exchange, value.source)
    if (value instanceof ReadyResponse) return serveReady(value, request, resolveCachePolicy(table, request.method, route, value.status), bodies, exchange)
    const policy = resolveCachePolicy(table, request.method, route, status)
    if (value instanceof Response) {
      // What the request line logs: the response it gets is this one's promise (src/http/request-recorder.ts).
      set.status = value.status
      return finishRaw(value, request, policy, exchange)
    }
    if (value === undefined || value === null) {
      // `status(204, null)`: no content, still a response with the edge headers. Nothing at all is
      // what Elysia hands over between error handlers: the next one answers (src/app.ts finishes it).
      return responseValue instanceof ElysiaCustomStatusResponse ? finishRaw(new Response(null, { status }), request, policy, exchange) : undefined
    }
    const ready =
      typeof value === 'string'
        ? ReadyResponse.fromBytes(status, 'text/plain; charset=utf-8', new TextEncoder().encode(value), contentHeaders(set))
        : ReadyResponse.fromBytes(status, 'application/json', new TextEncoder().encode(JSON.stringify(value)), contentHeaders(set))
    return serveReady(ready, request, policy, bodies, exchange)
  })
}
