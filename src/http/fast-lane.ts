import { LRUCache } from 'lru-cache'
import type { CacheRequest } from '../cache/cache-request.ts'
import type { KeyMemo, TieredCache } from '../cache/tiered-cache.ts'
import type { CachePolicy } from './cache-policy.ts'
import type { CacheResult, ReadyResponse } from './ready-response.ts'
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
  request: CacheRequest<ReadyResponse>
  template: string
  route: FastRoute
  storageKey: KeyMemo
}

/**
 * What one remembered URL costs beyond its two strings: the Learned and KeyMemo objects, the cache
 * request it holds on to (with its scopes array) and the LRU's slots: about 550 bytes of heap
 * (`bun scripts/probe-entry-memory.ts`), counted twice over for fragmentation like L1 entries.
 */
const LEARNED_OVERHEAD_BYTES = 1200
/** Longer URLs (padded query strings) are left to the router rather than kept. */
const MAX_TARGET_CHARS = 2048

/**
 * Elysia reads a request's path from the first `/` at or after this index of the URL. When the
 * authority is shorter (`http://a/…`), that is not where the path starts, and the router routes and
 * parses a different path and query than the URL's: the lane learns nothing from such requests.
 */
const ROUTER_PATH_SEARCH_FROM = 11

function pathStart(url: string): number {
  return url.indexOf('/', url.indexOf('//') + 2)
}

export class FastLane {
  private readonly learned: LRUCache<string, Learned>

  constructor(
    private readonly cache: TieredCache,
    /** Route templates the lane may answer: public, and the same body for every caller. */
    private readonly routes: ReadonlyMap<string, FastRoute>,
    private readonly record: RequestRecorder,
    /** Memory for remembered URLs (its share of L1_MAX_BYTES), least recently used dropped first. */
    maxBytes: number,
  ) {
    this.learned = new LRUCache<string, Learned>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (entry, target) => 2 * (target.length + entry.request.key.length) + LEARNED_OVERHEAD_BYTES,
    })
  }

  /** URLs remembered, and the bytes counted for them. */
  get stats(): { urls: number; bytes: number } {
    return { urls: this.learned.size, bytes: this.learned.calculatedSize }
  }

  /**
   * The router served a cache result for this request, routing it by `path`: remember what its URL
   * asks of the cache. Only when the router read the URL's own path and query (see
   * ROUTER_PATH_SEARCH_FROM; the path comparison guards the rest), so the lane never answers a URL
   * with what the router found for another.
   */
  learn(request: Request, template: string | undefined, path: string, result: CacheResult): void {
    // Only answers the lane can give are worth remembering: fresh positive L1 hits (a cached 404 goes to the router).
    if (request.method !== 'GET' || template === undefined || result.source === 'BYPASS' || result.value.status !== 200) return
    const route = this.routes.get(template)
    if (!route) return
    const url = request.url
    const start = pathStart(url)
    if (start < ROUTER_PATH_SEARCH_FROM || url.length - start > MAX_TARGET_CHARS) return
    const target = url.slice(start)
    const query = target.indexOf('?')
    if ((query === -1 ? target : target.slice(0, query)) !== path) return
    this.learned.set(target, { request: result.request, template, route, storageKey: { key: '', clock: -1 } })
  }

  /** The response for a fresh L1 hit of a learned URL, or undefined: then the router answers. */
  serve(request: Request): Response | undefined {
    const started = performance.now()
    const method = request.method
    if (method !== 'GET' && method !== 'HEAD') return undefined
    const url = request.url
    const known = this.learned.get(url.slice(pathStart(url)))
    if (!known) return undefined
    // The body is public, but credentials can have side effects (a signed-in search is usage).
    const headers = request.headers
    if (headers.has('authorization') || headers.has('x-api-key') || headers.has('cookie')) return undefined
    const ready = this.cache.peekL1(known.request, known.storageKey)
    if (!ready) return undefined
    known.route.onHit?.()
    const response = serveReady(ready, request, known.route.policy, 'HIT-L1', method === 'HEAD')
    this.record(method, known.template, response.status, performance.now() - started)
    return response
  }
}
