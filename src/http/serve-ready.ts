import { acceptsGzip } from './accept-encoding.ts'
import type { CachePolicy } from './cache-policy.ts'
import type { IdentityBodies } from './identity-bodies.ts'
import { isCompressible, type ReadyResponse, type XCache } from './ready-response.ts'

// Turns a ReadyResponse into the HTTP response for one request: conditional 304, gzip or identity,
// HEAD without a body (when asked to). The bytes were prepared beforehand, and so are the header
// sets of L1 hits, the answers sent again and again: built once per variant (gzip, identity, 304)
// and kept on the ready response, which on a hit saves a handful of native header calls. Other
// answers (a miss, an L2 hit, a stale copy) happen about once per fill and build theirs.

/** If-None-Match with weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal ignoring W/. */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false
  if (ifNoneMatch.trim() === '*') return true
  const opaque = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque)
}

type Variant = 'identity' | 'gzip' | 'not-modified'

function buildHeaders(ready: ReadyResponse, policy: CachePolicy, xCache: XCache | undefined, variant: Variant): Headers {
  const headers = new Headers(ready.headers)
  headers.set('cache-control', policy.cacheControl)
  const vary = isCompressible(ready.contentType) ? ['Accept-Encoding', ...policy.vary] : policy.vary
  if (vary.length > 0) headers.set('vary', vary.join(', '))
  if (xCache) headers.set('x-cache', xCache)
  if (ready.status >= 200 && ready.status < 300) headers.set('etag', ready.etag)
  if (variant === 'not-modified') return headers
  headers.set('content-type', ready.contentType)
  if (variant === 'gzip') headers.set('content-encoding', 'gzip')
  headers.set('content-length', String(variant === 'gzip' ? ready.stored.byteLength : ready.bodyLength))
  return headers
}

function headersFor(ready: ReadyResponse, policy: CachePolicy, xCache: XCache | undefined, variant: Variant): Headers {
  if (xCache !== 'HIT-L1') return buildHeaders(ready, policy, xCache, variant)
  let hits = ready.hitHeaders
  // A ready response belongs to one route, so one policy; another one starts the sets afresh.
  if (hits === undefined || hits.policy !== policy) {
    hits = { policy }
    ready.hitHeaders = hits
  }
  return (hits[variant] ??= buildHeaders(ready, policy, xCache, variant))
}

/**
 * `omitBody` is for HEAD answered directly. The router (Elysia) answers HEAD itself by running the
 * GET route, taking Content-Length from the body it got and dropping it: it must get the body.
 */
export function serveReady(ready: ReadyResponse, request: Request, policy: CachePolicy, bodies: IdentityBodies, xCache?: XCache, omitBody = false): Response {
  // 304 is an answer to GET and HEAD only: a write that ran must say what it did (RFC 9110 §13.1.2).
  const conditional = ready.status >= 200 && ready.status < 300 && (request.method === 'GET' || request.method === 'HEAD')
  if (conditional && etagMatches(request.headers.get('if-none-match'), ready.etag)) {
    return new Response(null, { status: 304, headers: headersFor(ready, policy, xCache, 'not-modified') })
  }
  const gzip = ready.gzipped && !policy.cacheControl.includes('no-transform') && acceptsGzip(request.headers.get('accept-encoding'))
  const headers = headersFor(ready, policy, xCache, gzip ? 'gzip' : 'identity')
  if (omitBody) return new Response(null, { status: ready.status, headers })
  return new Response(gzip ? ready.stored : bodies.of(ready), { status: ready.status, headers })
}
