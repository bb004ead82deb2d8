import { LRUCache } from 'lru-cache'
import type { CacheRequest } from '../cache/cache-request.ts'
import type { KeyMemo, TieredCache } from '../cache/tiered-cache.ts'
import type { CachePolicy } from './cache-policy.ts'
import type { CacheResult } from './ready-response.ts'
import type { RequestRecorder } from './request-recorder.ts'
import { serveReady } from './serve-ready.ts'

// The fast lane: fresh L1 hits of public cached GETs answered before the router. A hit's own work
// is a lookup and prepared bytes; routing, hooks, validation and parameter parsing cost more than
// that. The lane parses nothing itself: when the router serves a cache result for a URL, the lane
// remembers which cache request that exact URL (path and query, byte for byte) made, and answers
// the next request for it from L1 while the value is fresh. Everything else (misses, L2, stale,
// other routes, callers with credentials) goes on to the router unchanged.

export interface FastRoute {
  policy: CachePolicy
  /** Side effects the route's handler has on every answer besides the cache read (a counter). */
  onHit?: () => void
}

interface Learned {
  request: CacheRequest
  template: string
  route: FastRoute
  storageKey: KeyMemo
}

/** URLs remembered, least recently used dropped first: ~200 bytes each. */
const MAX_URLS = 100_000

/** The request target (path and query) of an absolute URL. */
function targetOf(url: string): string {
  return url.slice(url.indexOf('/', url.indexOf('//') + 2))
}

export class FastLane {
  private readonly learned = new LRUCache<string, Learned>({ max: MAX_URLS })

  constructor(
    private readonly cache: TieredCache,
    /** Route templates the lane may answer: public, and the same body for every caller. */
    private readonly routes: ReadonlyMap<string, FastRoute>,
    private readonly record: RequestRecorder,
  ) {}

  /**
   * The router served a cache result for this request, routing it by `path`: remember what its URL
   * asks of the cache. Only when the router read the same path from the URL as the lane does (with
   * an odd Host header the two could differ, and the lane must never answer for another path).
   */
  learn(request: Request, template: string | undefined, path: string, result: CacheResult): void {
    if (request.method !== 'GET' || template === undefined || result.source === 'BYPASS') return
    const route = this.routes.get(template)
    if (!route) return
    const target = targetOf(request.url)
    const query = target.indexOf('?')
    if ((query === -1 ? target : target.slice(0, query)) !== path) return
    this.learned.set(target, { request: result.request, template, route, storageKey: { key: '', epoch: -1 } })
  }

  /** The response for a fresh L1 hit of a learned URL, or undefined: then the router answers. */
  serve(request: Request): Response | undefined {
    const method = request.method
    if (method !== 'GET' && method !== 'HEAD') return undefined
    const known = this.learned.get(targetOf(request.url))
    if (!known) return undefined
    // The body is public, but credentials can have side effects (a signed-in search is usage).
    const headers = request.headers
    if (headers.has('authorization') || headers.has('x-api-key') || headers.has('cookie')) return undefined
    const started = performance.now()
    const ready = this.cache.peekL1(known.request, known.storageKey)
    if (!ready) return undefined
    known.route.onHit?.()
    const response = serveReady(ready, request, known.route.policy, 'HIT-L1', method === 'HEAD')
    this.record(method, known.template, response.status, performance.now() - started)
    return response
  }
}
