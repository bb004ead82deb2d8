import { acceptsGzip } from './accept-encoding.ts'
import type { CachePolicy } from './cache-policy.ts'
import type { EdgeProfile, Exchange } from './edge.ts'
import type { IdentityBodies } from './identity-bodies.ts'
import { isCompressible, type HitHeaders, type ReadyResponse, type XCache } from './ready-response.ts'
import { REQUEST_ID_HEADER } from './request-id.ts'

// Turns a ReadyResponse into the HTTP response for one request: conditional 304, gzip or identity,
// HEAD without a body (when asked to). The bytes were prepared beforehand, and so are the header
// sets of L1 hits, the answers sent again and again: built once per variant (gzip, identity, 304)
// and kept on the ready response, which on a hit saves a handful of native header calls. Other
// answers (a miss, an L2 hit, a stale copy) happen about once per fill and build theirs. The edge
// headers (security, CORS: src/http/edge.ts) are part of those sets, one set per origin profile;
// only the request id is added per response.

/** If-None-Match with weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal ignoring W/. */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false
  if (ifNoneMatch.trim() === '*') return true
  const opaque = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque)
}

type Variant = 'identity' | 'gzip' | 'not-modified'

function buildHeaders(ready: ReadyResponse, policy: CachePolicy, xCache: XCache | undefined, variant: Variant, edge: EdgeProfile): Headers {
  const headers = new Headers(ready.headers)
  headers.set('cache-control', policy.cacheControl)
  for (const [name, value] of edge.pairs) headers.set(name, value)
  const vary = isCompressible(ready.contentType) ? ['Accept-Encoding', ...policy.vary] : [...policy.vary]
  if (edge.vary) vary.push(edge.vary)
  if (vary.length > 0) headers.set('vary', vary.join(', '))
  if (xCache) headers.set('x-cache', xCache)
  if (ready.status >= 200 && ready.status < 300) headers.set('etag', ready.etag)
  if (variant === 'not-modified') return headers
  headers.set('content-type', ready.contentType)
  if (variant === 'gzip') headers.set('content-encoding', 'gzip')
  headers.set('content-length', String(variant === 'gzip' ? ready.stored.byteLength : ready.bodyLength))
  return headers
}

/** The prepared sets of `ready`'s L1 hits for a profile: the plain one (no CORS grant) in its own field, each allowed origin's in a map. */
function hitSets(ready: ReadyResponse, policy: CachePolicy, edge: EdgeProfile): HitHeaders {
  // A ready response belongs to one route, so one policy; another one starts the sets afresh.
  if (!edge.preflight) {
    const hits = ready.hitHeaders
    if (hits !== undefined && hits.edge === edge && hits.policy === policy) return hits
    return (ready.hitHeaders = { policy, edge })
  }
  const byOrigin = (ready.originHitHeaders ??= new Map())
  let hits = byOrigin.get(edge)
  if (hits === undefined || hits.policy !== policy) byOrigin.set(edge, (hits = { policy, edge }))
  return hits
}

function headersFor(ready: ReadyResponse, policy: CachePolicy, xCache: XCache | undefined, variant: Variant, edge: EdgeProfile): Headers {
  if (xCache !== 'HIT-L1') return buildHeaders(ready, policy, xCache, variant, edge)
  const hits = hitSets(ready, policy, edge)
  return (hits[variant] ??= buildHeaders(ready, policy, xCache, variant, edge))
}

/**
 * `omitBody` is for HEAD answered directly. The router (Elysia) answers HEAD itself by running the
 * GET route, taking Content-Length from the body it got and dropping it: it must get the body.
 */
export function serveReady(ready: ReadyResponse, request: Request, policy: CachePolicy, bodies: IdentityBodies, exchange: Exchange, xCache?: XCache, omitBody = false): Response {
  // 304 is an answer to GET and HEAD only: a write that ran must say what it did (RFC 9110 §13.1.2).
  const conditional = ready.status >= 200 && ready.status < 300 && (request.method === 'GET' || request.method === 'HEAD')
  let response: Response
  if (conditional && etagMatches(request.headers.get('if-none-match'), ready.etag)) {
    response = new Response(null, { status: 304, headers: headersFor(ready, policy, xCache, 'not-modified', exchange.edge) })
  } else {
    const gzip = ready.gzipped && !policy.cacheControl.includes('no-transform') && acceptsGzip(request.headers.get('accept-encoding'))
    const headers = headersFor(ready, policy, xCache, gzip ? 'gzip' : 'identity', exchange.edge)
    response = new Response(omitBody ? null : gzip ? ready.stored : bodies.of(ready), { status: ready.status, headers })
  }
  // The response holds its own copy of the prepared set: this one header is all a hit adds to it.
  response.headers.set(REQUEST_ID_HEADER, exchange.requestId)
  return response
}
