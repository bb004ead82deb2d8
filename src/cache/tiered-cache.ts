import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Logger } from '../platform/log.ts'
import type { RedisClient } from '../platform/redis.ts'
import type { CacheRequest } from './cache-request.ts'
import { Coherence } from './coherence.ts'
import type { CacheEntry } from './entry.ts'
import { keySpace } from './keys.ts'
import { L2Tier } from './l2.ts'
import { CacheStats } from './stats.ts'

// The two-tier read path, generic over the cached value (each request names its codec):
//   1. a fresh L1 hit;
//   2. else a fresh L2 hit (one GET per key at a time), copied into L1;
//   3. else an expired copy within its grace, served at once while one refresh runs (SWR);
//   4. else the load already running for the key (single-flight);
//   5. else the loader, under a short Redis lock when CACHE_DISTRIBUTED_LOCK is on.
// Loaded values are kept per their codec's verdict (positive TTL, negative TTL for "not found",
// never for errors). Which copies are still current is coherence.ts's business.

export interface CacheOptions {
  enabled: boolean
  l1MaxBytes: number
  l1MaxEntryBytes: number
  l2TimeoutMs: number
  graceSeconds: number
  negativeTtlSeconds: number
  distributedLock: boolean
  /** Redis key prefix of the deployment (CACHE_PREFIX). */
  prefix: string
  /** While the bus cannot be trusted, values older than this are reloaded (CACHE_BUS_DOWN_MAX_AGE). */
  busDownMaxAgeSeconds: number
  /** The versions hash expires after this long without a write (tests keep the shared Redis clean). */
  bookkeepingTtlSeconds: number
}

/** Where a value came from: the tiers, the loader (ours, or one we waited for), a stale copy, or no cache at all. */
export type CacheSource = 'l1' | 'l2' | 'loaded' | 'coalesced' | 'stale' | 'bypass'

export interface Cached<V> {
  value: V
  source: CacheSource
}

/**
 * A caller's copy of a request's storage key and the version clock it was built at: while no
 * version moves it is still the key, with no string to build (and hash) again.
 */
export interface KeyMemo {
  key: string
  clock: number
}

type StoredEntry = CacheEntry<unknown> & { readonly size: number }

const JITTER = 0.1
const REFRESH_BACKOFF_MS = 2000
/**
 * Background refreshes running at once. Entries cached together expire together: without a bound,
 * a burst of expiries would fill the database pool with refreshes ahead of requests that have
 * nothing to serve. Past it an entry stays stale, and a later request refreshes it.
 */
const MAX_BACKGROUND_REFRESHES = 4
const LOCK_TTL_MS = 5000
const LOCK_WAIT_MS = 2000
const LOCK_POLL_MS = 20
/**
 * What an L1 entry costs the process beyond its value and key. The entry object, the LRU's slots
 * and the map entry are a few hundred bytes of heap (`bun scripts/probe-entry-memory.ts`), but
 * under a flood of unique keys the process grew by about 3 KB per small entry kept (fragmentation
 * left by the evicted ones; `bun scripts/bench-memory.ts`): counted here, so L1_MAX_BYTES bounds memory.
 */
const ENTRY_OVERHEAD_BYTES = 1536

export class TieredCache {
  readonly stats = new CacheStats()
  private readonly l1: LRUCache<string, StoredEntry>
  private readonly l2: L2Tier | undefined
  private readonly coherence: Coherence
  private readonly inflight = new Map<string, Promise<CacheEntry<unknown>>>()
  private readonly l2Reads = new Map<string, Promise<CacheEntry<unknown> | undefined>>()
  private backgroundRefreshes = 0

  constructor(
    private readonly options: CacheOptions,
    redis: RedisClient | undefined,
    log: Logger,
  ) {
    const keys = keySpace(options.prefix, { cluster: redis?.cluster === true })
    this.l1 = new LRUCache<string, StoredEntry>({
      maxSize: Math.max(1, options.l1MaxBytes),
      maxEntrySize: Math.max(1, Math.min(options.l1MaxEntryBytes, options.l1MaxBytes)),
      sizeCalculation: (entry) => entry.size,
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') this.stats.l1Evictions++
      },
    })
    const useRedis = redis !== undefined && options.enabled
    if (useRedis) this.l2 = new L2Tier(redis, keys, options.l2TimeoutMs, this.stats)
    this.coherence = new Coherence(
      this.l2,
      useRedis ? redis : undefined,
      keys,
      { busDownMaxAgeMs: options.busDownMaxAgeSeconds * 1000, bookkeepingTtlSeconds: options.bookkeepingTtlSeconds },
      this.stats,
      log,
      () => this.l1.clear(),
    )
  }

  get l1Entries(): number {
    return this.l1.size
  }

  get l1Bytes(): number {
    return this.l1.calculatedSize
  }

  get breakerState() {
    return this.l2?.breaker.state
  }

  /** The deployment's Redis key prefix (CACHE_PREFIX): other users of Redis (rate limits) key under it too. */
  get prefix(): string {
    return this.options.prefix
  }

  get hasL2(): boolean {
    return this.l2 !== undefined
  }

  /** Whether invalidations from other instances are known to arrive (always, without Redis). */
  get busTrusted(): boolean {
    return this.coherence.busTrusted
  }

  /** Syncs with the deployment's versions in Redis (waits briefly); call once at startup before serving. */
  async start(): Promise<void> {
    await this.coherence.start()
  }

  async close(): Promise<void> {
    await this.coherence.close()
  }

  /** Makes every value depending on these scopes unreachable, here at once and on every instance. */
  invalidate(scopes: readonly string[]): Promise<void> {
    return this.coherence.invalidate(scopes)
  }

  /** True once every invalidation of this instance has reached Redis (false after `timeoutMs`). */
  settle(timeoutMs: number): Promise<boolean> {
    return this.coherence.settle(timeoutMs)
  }

  /**
   * The fresh, positive L1 value for this request, counted as an L1 hit, or undefined: never
   * waits, never asks L2 or the loader (those, SWR and cached "not found"s stay with getOrLoad).
   * `memo` keeps the request's storage key between calls.
   */
  peekL1<V>(req: CacheRequest<V>, memo?: KeyMemo): V | undefined {
    if (!this.options.enabled) return undefined
    const clock = this.coherence.versions.clock
    let key: string
    if (memo !== undefined && memo.clock === clock) {
      key = memo.key
    } else {
      key = this.coherence.keyOf(req)
      if (memo !== undefined) [memo.key, memo.clock] = [key, clock]
    }
    const local = this.l1.get(key)
    const now = Date.now()
    if (!local || local.freshUntil <= now || !local.positive || !this.coherence.servable(local.builtAt, now)) return undefined
    this.stats.of(req.type).hitsL1++
    return local.value as V
  }

  async getOrLoad<V>(req: CacheRequest<V>, loader: () => Promise<V>): Promise<Cached<V>> {
    if (!this.options.enabled) return { value: await loader(), source: 'bypass' }
    const key = this.coherence.keyOf(req)
    const now = Date.now()
    const stats = this.stats.of(req.type)

    const local = this.servable(this.l1.get(key) as CacheEntry<V> | undefined, now)
    if (local && local.freshUntil > now) {
      stats.hitsL1++
      return { value: local.value, source: 'l1' }
    }
    const remote = local ? undefined : this.servable(await this.readL2(key, req), now)
    if (remote && remote.freshUntil > now) {
      this.setL1(key, remote, req)
      stats.hitsL2++
      return { value: remote.value, source: 'l2' }
    }
    const stale = local ?? remote
    if (stale && stale.staleUntil > now) {
      this.refreshInBackground(key, req, loader, stale)
      stats.staleServed++
      return { value: stale.value, source: 'stale' }
    }
    const pending = this.inflight.get(key) as Promise<CacheEntry<V>> | undefined
    if (pending) {
      stats.coalesced++
      return { value: (await pending).value, source: 'coalesced' }
    }
    // While our L2 read was in flight another caller's load may have finished and left: its value
    // is in L1 now, and loading again would be a second loader call for the same key.
    const loaded = remote !== undefined || local !== undefined ? undefined : this.servable(this.l1.get(key) as CacheEntry<V> | undefined, Date.now())
    if (loaded && loaded.freshUntil > Date.now()) {
      stats.coalesced++
      return { value: loaded.value, source: 'coalesced' }
    }
    stats.misses++
    return { value: (await this.load(key, req, loader)).value, source: 'loaded' }
  }

  /** The entry, unless coherence forbids serving it (the bus is down and its data is too old). */
  private servable<V>(entry: CacheEntry<V> | undefined, now: number): CacheEntry<V> | undefined {
    return entry && this.coherence.servable(entry.builtAt, now) ? entry : undefined
  }

  private setL1<V>(key: string, entry: CacheEntry<V>, req: CacheRequest<V>): void {
    const size = req.codec.size(entry.value) + key.length * 2 + ENTRY_OVERHEAD_BYTES
    this.l1.set(key, { ...(entry as CacheEntry<unknown>), size })
  }

  /** Stale-while-revalidate: one refresh per key, a bounded number at once, backing off after a failure. */
  private refreshInBackground<V>(key: string, req: CacheRequest<V>, loader: () => Promise<V>, stale: CacheEntry<V>): void {
    const now = Date.now()
    if (this.inflight.has(key) || (stale.retryAt ?? 0) > now || this.backgroundRefreshes >= MAX_BACKGROUND_REFRESHES) return
    this.backgroundRefreshes++
    this.load(key, req, loader)
      .catch(() => {
        // Fail-safe: keep serving the stale copy, but do not hammer a failing database.
        this.setL1(key, { ...stale, retryAt: Date.now() + REFRESH_BACKOFF_MS }, req)
      })
      .finally(() => this.backgroundRefreshes--)
  }

  /** One L2 read per key at a time: a burst of callers for a key missing from L1 shares one GET. */
  private readL2<V>(key: string, req: CacheRequest<V>): Promise<CacheEntry<V> | undefined> {
    const l2 = this.l2
    if (!l2 || !this.coherence.l2Usable) return Promise.resolve(undefined)
    let read = this.l2Reads.get(key)
    if (!read) {
      read = l2.get(key, req.codec).finally(() => this.l2Reads.delete(key))
      this.l2Reads.set(key, read)
    }
    return read as Promise<CacheEntry<V> | undefined>
  }

  /** Runs the loader once per key (waiters share it) and stores the result in both tiers. */
  private load<V>(key: string, req: CacheRequest<V>, loader: () => Promise<V>): Promise<CacheEntry<V>> {
    const existing = this.inflight.get(key) as Promise<CacheEntry<V>> | undefined
    if (existing) return existing
    const run = (async () => {
      try {
        if (this.options.distributedLock && this.l2) {
          const shared = await this.loadUnderSharedLock(this.l2, key, req, loader)
          if (shared) return shared
        }
        return await this.loadAndStore(key, req, loader)
      } finally {
        this.inflight.delete(key)
      }
    })()
    this.inflight.set(key, run)
    return run
  }

  private async loadAndStore<V>(key: string, req: CacheRequest<V>, loader: () => Promise<V>): Promise<CacheEntry<V>> {
    this.stats.of(req.type).loaderCalls++
    // Taken before the read: the value is at least as recent as this.
    const builtAt = Date.now()
    const value = await loader()
    const entry = this.entryFor(value, req, builtAt)
    if (!entry) return { value, freshUntil: 0, staleUntil: 0, builtAt, positive: false }
    this.setL1(key, entry, req)
    if (this.coherence.l2Usable) void this.l2?.set(key, entry, req.codec)
    return entry
  }

  /**
   * One loader per key across instances: the holder of a short Redis lock loads; the others poll
   * L2 for its result and, past a bounded wait, load themselves rather than fail.
   */
  private async loadUnderSharedLock<V>(l2: L2Tier, key: string, req: CacheRequest<V>, loader: () => Promise<V>): Promise<CacheEntry<V> | undefined> {
    const fromL2 = async () => {
      const found = this.coherence.l2Usable ? this.servable(await l2.get(key, req.codec), Date.now()) : undefined
      if (!found || found.freshUntil <= Date.now()) return undefined
      this.setL1(key, found, req)
      return found
    }
    const token = randomUUID()
    if (await l2.tryLock(key, token, LOCK_TTL_MS)) {
      try {
        // The previous holder may have stored the value and let go between our L2 read and the lock.
        return (await fromL2()) ?? (await this.loadAndStore(key, req, loader))
      } finally {
        void l2.unlock(key, token)
      }
    }
    const deadline = Date.now() + LOCK_WAIT_MS
    while (Date.now() < deadline) {
      await Bun.sleep(LOCK_POLL_MS)
      const found = await fromL2()
      if (found) return found
    }
    return undefined
  }

  /** Freshness window for a loaded value, as its codec says; undefined for what must not be cached. */
  private entryFor<V>(value: V, req: CacheRequest<V>, builtAt: number): CacheEntry<V> | undefined {
    const keep = req.codec.keep(value)
    const now = Date.now()
    if (keep === 'never') return undefined
    if (keep === 'negative') {
      if (this.options.negativeTtlSeconds === 0) return undefined
      const until = now + this.options.negativeTtlSeconds * 1000
      return { value, freshUntil: until, staleUntil: until, builtAt, positive: false }
    }
    const ttlMs = req.ttlSeconds * 1000 * (1 - JITTER + Math.random() * 2 * JITTER)
    const freshUntil = now + ttlMs
    return { value, freshUntil, staleUntil: freshUntil + this.options.graceSeconds * 1000, builtAt, positive: true }
  }
}
