import type { CacheRequest, Fill } from '../cache/cache-request.ts'
import type { CacheSource, TieredCache } from '../cache/tiered-cache.ts'
import { errorBody, httpErrorOf } from './errors.ts'
import { readyResponseCodec } from './ready-codec.ts'
import { CacheResult, ReadyResponse, type XCache } from './ready-response.ts'

// A cached read of a public route: what is cached is the ready response. The read's value becomes
// a ready JSON response (or is one already), and a thrown 404 becomes a ready 404, so "not found"
// (a service's NotFound) can be cached briefly like any other answer; anything else propagates (errors are never cached).

const X_CACHE: Record<CacheSource, XCache> = { l1: 'HIT-L1', l2: 'HIT-L2', loaded: 'MISS', coalesced: 'MISS', stale: 'STALE', bypass: 'BYPASS' }

export type ResponseRequest = Omit<CacheRequest<ReadyResponse>, 'codec'>

/** The full cache request of a ready response: the router's read and the fast path ask the same. */
export const readyRequest = (request: ResponseRequest): CacheRequest<ReadyResponse> => ({ ...request, codec: readyResponseCodec })

/** `read` is told which version scopes its value depends on (a read replica may serve it: src/cache/replica-reads.ts). */
export async function cachedResponse(cache: TieredCache, request: ResponseRequest, read: (fill: Fill) => Promise<unknown>): Promise<CacheResult> {
  const { value, source } = await cache.getOrLoad(readyRequest(request), (fill) => loadReady(() => read(fill)))
  return new CacheResult(value, X_CACHE[source])
}

async function loadReady(read: () => Promise<unknown>): Promise<ReadyResponse> {
  try {
    const value = await read()
    return value instanceof ReadyResponse ? value : ReadyResponse.json(value)
  } catch (err) {
    const http = httpErrorOf(err)
    if (http?.status === 404) return ReadyResponse.json(errorBody(http.code, http.message), 404)
    throw err
  }
}
