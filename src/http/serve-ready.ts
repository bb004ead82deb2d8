import { acceptsGzip } from './accept-encoding.ts'
import type { CachePolicy } from './cache-policy.ts'
import { isCompressible, type ReadyResponse, type XCache } from './ready-response.ts'

// Turns a ReadyResponse into the HTTP response for one request: conditional 304, gzip or identity,
// HEAD without a body. Only header bookkeeping happens here; the bytes were prepared beforehand.

/** If-None-Match with weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal ignoring W/. */
export function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false
  if (ifNoneMatch.trim() === '*') return true
  const opaque = etag.replace(/^W\//, '')
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque)
}

function varyOf(ready: ReadyResponse, policy: CachePolicy): string | undefined {
  const vary = isCompressible(ready.contentType) ? ['Accept-Encoding', ...policy.vary] : [...policy.vary]
  return vary.length > 0 ? vary.join(', ') : undefined
}

export function serveReady(ready: ReadyResponse, request: Request, policy: CachePolicy, xCache?: XCache): Response {
  const headers = new Headers(ready.headers)
  headers.set('cache-control', policy.cacheControl)
  const vary = varyOf(ready, policy)
  if (vary) headers.set('vary', vary)
  if (xCache) headers.set('x-cache', xCache)
  const ok = ready.status >= 200 && ready.status < 300
  if (ok) headers.set('etag', ready.etag)

  if (ok && etagMatches(request.headers.get('if-none-match'), ready.etag)) {
    return new Response(null, { status: 304, headers })
  }
  headers.set('content-type', ready.contentType)
  const gzipped =
    ready.gzip && !policy.cacheControl.includes('no-transform') && acceptsGzip(request.headers.get('accept-encoding')) ? ready.gzip : undefined
  const body = gzipped ?? ready.body
  if (gzipped) headers.set('content-encoding', 'gzip')
  headers.set('content-length', String(body.byteLength))
  return new Response(request.method === 'HEAD' ? null : body, { status: ready.status, headers })
}
