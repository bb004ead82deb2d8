import type { CacheRequest } from '../cache/cache-request.ts'
import type { CacheSource, TieredCache } from '../cache/tiered-cache.ts'
import { errorBody, HttpError } from './errors.ts'
import { readyResponseCodec } from './ready-codec.ts'
import { CacheResult, ReadyResponse, type XCache } from './ready-response.ts'

// A cached read of a public route: what is cached is the ready response. The read's value becomes
// a ready JSON response (or is one already), and a thrown 404 becomes a ready 404, so "not found"
// can be cached briefly like any other answer; anything else propagates (errors are never cached).

const X_CACHE: Record<CacheSource, XCache> = { l1: 'HIT-L1', l2: 'HIT-L2', loaded: 'MISS', coalesced: 'MISS', stale: 'STALE', bypass: 'BYPASS' }

export type ResponseRequest = Omit<CacheRequest<ReadyResponse>, 'codec'>

export async function cachedResponse(cache: TieredCache, request: ResponseRequest, read: () => Promise<unknown>): Promise<CacheResult> {
  const req: CacheRequest<ReadyResponse> = { ...request, codec: readyResponseCodec }
  const { value, source } = await cache.getOrLoad(req, () => loadReady(read))
  return new CacheResult(value, X_CACHE[source], req)
}

async function loadReady(read: () => Promise<unknown>): Promise<ReadyResponse> {
  try {
    const value = await read()
    return value instanceof ReadyResponse ? value : ReadyResponse.json(value)
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return ReadyResponse.json(errorBody(err.code, err.message), 404)
    throw err
  }
}
