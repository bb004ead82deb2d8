import { parseQueryFromURL } from 'elysia/parse-query'
import { LRUCache } from 'lru-cache'
import type { CacheRequest } from '../cache/cache-request.ts'
import type { KeyMemo, TieredCache } from '../cache/tiered-cache.ts'
import type { CachedGet } from './cached-get.ts'
import type { Exchange } from './edge.ts'
import { HttpError } from './errors.ts'
import type { IdentityBodies } from './identity-bodies.ts'
import type { ReadyResponse } from './ready-response.ts'
import type { RequestRecorder } from './request-recorder.ts'
import { TemplateMatcher } from './route-template.ts'
import { serveReady } from './serve-ready.ts'

// The fast path: fresh L1 hits of the public cached GETs (src/http/cached-get.ts) answered before
// the router. A hit's own work is a lookup and prepared bytes; routing, hooks and validation cost
// more than that. The path matches the URL against the declared templates itself, turns the URL
// into its cache request with the route's own parser, and remembers that per URL target (path and
// query, byte for byte), so a hit parses nothing. Everything else (misses, L2, stale, bad input,
// other routes, callers with credentials) goes on to the router unchanged.

interface Known {
  route: CachedGet
  request: CacheRequest<ReadyResponse>
  storageKey: KeyMemo
}

/** Longer URLs (padded query strings) are left to the router rather than remembered. */
const MAX_TARGET_CHARS = 2048
/**
 * What one remembered URL costs beyond its strings: the entry, cache request and key memo objects,
 * the scopes array, the LRU's slots and map entry, about 550 bytes of heap
 * (`bun scripts/probe-entry-memory.ts`), counted about twice over for the fragmentation a flood of
 * unique URLs leaves, like L1 entries (src/cache/tiered-cache.ts).
 */
const KNOWN_OVERHEAD_BYTES = 1024
/** The storage key the cache builds for a request adds its epoch and versions to the request's key. */
const STORAGE_KEY_EXTRA_CHARS = 64

/** The memo's memory: the remembered URL (the map key), the cache request's strings, and the storage key built from them. */
function knownSize(known: Known, target: string): number {
  const { request } = known
  let chars = target.length + request.type.length
  // The key and scopes appear twice: in the request and again in its storage key.
  let shared = request.key.length
  for (const scope of request.scopes) shared += scope.length
  chars += 2 * shared + STORAGE_KEY_EXTRA_CHARS
  return 2 * chars + KNOWN_OVERHEAD_BYTES
}

function pathStart(url: string): number {
  return url.indexOf('/', url.indexOf('//') + 2)
}

export interface FastPathOptions {
  /** Bytes the remembered URLs may hold (see knownSize): their share of L1_MAX_BYTES (src/cache/create.ts l1Budget). */
  maxMemoBytes: number
  /** The app's identity bodies, for clients without gzip. */
  bodies: IdentityBodies
  /** Counts a hit of the exchange's client against the cached public reads' limit: a 429 to send instead, or undefined. */
  limit?: (exchange: Exchange) => Response | undefined
}

export class FastPath {
  private readonly matcher: TemplateMatcher<CachedGet>
  private readonly known: LRUCache<string, Known>
  private readonly bodies: IdentityBodies
  private readonly limit: ((exchange: Exchange) => Response | undefined) | undefined

  constructor(
    private readonly cache: TieredCache,
    /** Public reads whose body is the same for every caller. */
    routes: readonly CachedGet[],
    private readonly record: RequestRecorder,
    options: FastPathOptions,
  ) {
    this.matcher = new TemplateMatcher(routes.map((r) => [r.template, r] as const))
    this.bodies = options.bodies
    this.limit = options.limit
    this.known = new LRUCache<string, Known>({ maxSize: Math.max(1, options.maxMemoBytes), sizeCalculation: knownSize })
  }

  /** Bytes held by remembered URLs (within maxMemoBytes). */
  get memoBytes(): number {
    return this.known.calculatedSize
  }

  /** The response for a fresh L1 hit of a public cached GET, or undefined: then the router answers. */
  serve(request: Request, exchange: Exchange): Response | undefined {
    const started = performance.now()
    const method = request.method
    if (method !== 'GET' && method !== 'HEAD') return undefined
    const url = request.url
    const target = url.slice(pathStart(url))
    const known = this.known.get(target) ?? this.resolve(target)
    if (!known) return undefined
    // The body is public, but credentials can have side effects (a signed-in search is usage).
    const headers = request.headers
    if (headers.has('authorization') || headers.has('x-api-key') || headers.has('cookie')) return undefined
    const ready = this.cache.peekL1(known.request, known.storageKey)
    if (!ready) return undefined
    const refused = this.limit?.(exchange)
    if (refused) {
      this.record(method, known.route.template, 429, performance.now() - started, exchange)
      return refused
    }
    known.route.count?.()
    const response = serveReady(ready, request, known.route.policy, this.bodies, exchange, 'HIT-L1', method === 'HEAD')
    this.record(method, known.route.template, response.status, performance.now() - started, exchange)
    return response
  }

  /** What a URL not seen yet asks of the cache, remembered; undefined when it is the router's (no such route, bad input). */
  private resolve(target: string): Known | undefined {
    if (target.length > MAX_TARGET_CHARS) return undefined
    const q = target.indexOf('?')
    const found = this.matcher.match(q === -1 ? target : target.slice(0, q))
    if (!found) return undefined
    // The router's own query parser (a public export of Elysia), so both decode values alike; given
    // the query alone, as it scans its input from the start.
    const parsed: Record<string, unknown> = q === -1 ? {} : parseQueryFromURL(target.slice(q + 1))
    const query: Record<string, string> = {}
    for (const [name, value] of Object.entries(parsed)) {
      // A repeated parameter: the route's schema rejects it, which is the router's answer to give.
      if (typeof value !== 'string') return undefined
      query[name] = value
    }
    let request: CacheRequest<ReadyResponse>
    try {
      request = found.value.cacheRequestOf({ params: found.params, query })
    } catch (err) {
      if (err instanceof HttpError) return undefined
      throw err
    }
    const known: Known = { route: found.value, request, storageKey: { key: '', clock: -1 } }
    this.known.set(target, known)
    return known
  }
}
