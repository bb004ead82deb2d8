import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { CacheResult, type ReadyResponse } from '../http/ready-response.ts'
import type { Logger } from '../platform/log.ts'
import type { RedisClient } from '../platform/redis.ts'
import { startBus, type BusMessage } from './bus.ts'
import type { CacheRequest } from './cache-request.ts'
import type { CacheEntry } from './entry.ts'
import { Generations } from './generations.ts'
import { keySpace } from './keys.ts'
import { L2Tier } from './l2.ts'
import { CacheStats } from './stats.ts'

// The two-tier read path: L1 (in-process LRU, bounded by bytes) → L2 (Redis) → loader, with one
// loader per key at a time (single-flight), stale-while-revalidate, fail-safe grace, negative
// caching of 404s, and invalidation by generation counters announced on a Redis bus.

export interface CacheOptions {
  enabled: boolean
  l1MaxBytes: number
  l1MaxEntryBytes: number
  l2TimeoutMs: number
  graceSeconds: number
  negativeTtlSeconds: number
  distributedLock: boolean
  /** Redis key prefix, so tests and deployments can share one Redis. */
  prefix: string
}

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

export const namespaceScope = (type: string) => `ns:${type}`

/**
 * A caller's copy of a request's storage key and the generation epoch it was built at: while no
 * generation moves it is still the key, with no string to build (and hash) again.
 */
export interface KeyMemo {
  key: string
  epoch: number
}

export class TieredCache {
  readonly stats = new CacheStats()
  private readonly l1: LRUCache<string, CacheEntry>
  private readonly l2: L2Tier | undefined
  private readonly generations = new Generations()
  private readonly inflight = new Map<string, Promise<CacheEntry>>()
  private readonly l2Reads = new Map<string, Promise<CacheEntry | undefined>>()
  private backgroundRefreshes = 0
  private readonly origin = randomUUID()
  private readonly keys
  private stopBus: (() => Promise<void>) | undefined

  constructor(
    private readonly options: CacheOptions,
    redis: RedisClient | undefined,
    log: Logger,
  ) {
    this.keys = keySpace(options.prefix)
    this.l1 = new LRUCache<string, CacheEntry>({
      maxSize: Math.max(1, options.l1MaxBytes),
      maxEntrySize: Math.max(1, Math.min(options.l1MaxEntryBytes, options.l1MaxBytes)),
      sizeCalculation: (entry, key) => entry.value.size + key.length * 2,
    })
    if (redis && options.enabled) {
      this.l2 = new L2Tier(redis, this.keys, options.l2TimeoutMs, this.stats)
      this.stopBus = startBus(redis, this.keys.channel, { onMessage: (m) => this.onBusMessage(m), onConnect: () => void this.resync() }, log)
    }
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

  get hasL2(): boolean {
    return this.l2 !== undefined
  }

  /** Reads the shared generations; call once at startup before serving. */
  async start(): Promise<void> {
    await this.resync()
  }

  async close(): Promise<void> {
    await this.stopBus?.()
  }

  /** The key as stored: the request key plus the current generation of every scope it depends on. */
  private fullKey(req: CacheRequest): string {
    const ns = namespaceScope(req.type)
    let key = `${req.type}:${req.key}|${this.generations.get(ns)}`
    for (const s of req.scopes) key += `|${s}@${this.generations.get(s)}`
    return key
  }

  /**
   * The fresh, successful L1 value for this request, counted as an L1 hit, or undefined: never
   * waits, never asks L2 or the loader (those, SWR and cached 404s stay with getOrLoad). `memo`
   * keeps the request's storage key between calls.
   */
  peekL1(req: CacheRequest, memo?: KeyMemo): ReadyResponse | undefined {
    if (!this.options.enabled) return undefined
    let key: string
    if (memo !== undefined && memo.epoch === this.generations.epoch) {
      key = memo.key
    } else {
      key = this.fullKey(req)
      if (memo !== undefined) [memo.key, memo.epoch] = [key, this.generations.epoch]
    }
    const local = this.l1.get(key)
    if (!local || local.freshUntil <= Date.now() || local.value.status >= 300) return undefined
    this.stats.of(req.type).hitsL1++
    return local.value
  }

  async getOrLoad(req: CacheRequest, loader: () => Promise<ReadyResponse>): Promise<CacheResult> {
    if (!this.options.enabled) return new CacheResult(await loader(), 'BYPASS', req)
    const key = this.fullKey(req)
    const now = Date.now()
    const stats = this.stats.of(req.type)

    const local = this.l1.get(key)
    if (local && local.freshUntil > now) {
      stats.hitsL1++
      return new CacheResult(local.value, 'HIT-L1', req)
    }
    const remote = local || !this.l2 ? undefined : await this.readL2(this.l2, key)
    if (remote && remote.freshUntil > now) {
      this.l1.set(key, remote)
      stats.hitsL2++
      return new CacheResult(remote.value, 'HIT-L2', req)
    }
    const stale = local ?? remote
    if (stale && stale.staleUntil > now) {
      // Stale-while-revalidate: answer at once, refresh in the background (one refresh per key).
      if (!this.inflight.has(key) && (stale.retryAt ?? 0) <= now && this.backgroundRefreshes < MAX_BACKGROUND_REFRESHES) {
        this.backgroundRefreshes++
        this.load(key, req, loader)
          .catch(() => {
            // Fail-safe: keep serving the stale copy, but do not hammer a failing database.
            this.l1.set(key, { ...stale, retryAt: Date.now() + REFRESH_BACKOFF_MS })
          })
          .finally(() => this.backgroundRefreshes--)
      }
      stats.staleServed++
      return new CacheResult(stale.value, 'STALE', req)
    }
    const pending = this.inflight.get(key)
    if (pending) {
      stats.coalesced++
      return new CacheResult((await pending).value, 'MISS', req)
    }
    // While our L2 read was in flight another caller's load may have finished and left: its value
    // is in L1 now, and loading again would be a second loader call for the same key.
    const loaded = remote !== undefined || local !== undefined ? undefined : this.l1.get(key)
    if (loaded && loaded.freshUntil > Date.now()) {
      stats.coalesced++
      return new CacheResult(loaded.value, 'MISS', req)
    }
    stats.misses++
    return new CacheResult((await this.load(key, req, loader)).value, 'MISS', req)
  }

  /** One L2 read per key at a time: a burst of callers for a key missing from L1 shares one GET. */
  private readL2(l2: L2Tier, key: string): Promise<CacheEntry | undefined> {
    let read = this.l2Reads.get(key)
    if (!read) {
      read = l2.get(key).finally(() => this.l2Reads.delete(key))
      this.l2Reads.set(key, read)
    }
    return read
  }

  /** Runs the loader once per key (waiters share it) and stores the result in both tiers. */
  private load(key: string, req: CacheRequest, loader: () => Promise<ReadyResponse>): Promise<CacheEntry> {
    const existing = this.inflight.get(key)
    if (existing) return existing
    const run = (async () => {
      try {
        if (this.options.distributedLock && this.l2) {
          const shared = await this.loadUnderSharedLock(key, req, loader)
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

  private async loadAndStore(key: string, req: CacheRequest, loader: () => Promise<ReadyResponse>): Promise<CacheEntry> {
    this.stats.of(req.type).loaderCalls++
    const value = await loader()
    const entry = this.entryFor(value, req.ttlSeconds)
    if (entry) {
      this.l1.set(key, entry)
      void this.l2?.set(key, entry)
      return entry
    }
    return { value, freshUntil: 0, staleUntil: 0 }
  }

  /**
   * One loader per key across instances: the holder of a short Redis lock loads; the others poll
   * L2 for its result and, past a bounded wait, load themselves rather than fail.
   */
  private async loadUnderSharedLock(key: string, req: CacheRequest, loader: () => Promise<ReadyResponse>): Promise<CacheEntry | undefined> {
    const l2 = this.l2
    if (!l2) return undefined
    const token = randomUUID()
    if (await l2.tryLock(key, token, LOCK_TTL_MS)) {
      try {
        // The previous holder may have stored the value and let go between our L2 read and the lock.
        const stored = await l2.get(key)
        if (stored && stored.freshUntil > Date.now()) {
          this.l1.set(key, stored)
          return stored
        }
        return await this.loadAndStore(key, req, loader)
      } finally {
        void l2.unlock(key, token)
      }
    }
    const deadline = Date.now() + LOCK_WAIT_MS
    while (Date.now() < deadline) {
      await Bun.sleep(LOCK_POLL_MS)
      const found = await l2.get(key)
      if (found && found.freshUntil > Date.now()) {
        this.l1.set(key, found)
        return found
      }
    }
    return undefined
  }

  /** Freshness window for a loaded value; undefined for what must not be cached (5xx, other 4xx). */
  private entryFor(value: ReadyResponse, ttlSeconds: number): CacheEntry | undefined {
    const now = Date.now()
    if (value.status === 404) {
      if (this.options.negativeTtlSeconds === 0) return undefined
      const until = now + this.options.negativeTtlSeconds * 1000
      return { value, freshUntil: until, staleUntil: until }
    }
    if (value.status < 200 || value.status >= 300) return undefined
    const ttlMs = ttlSeconds * 1000 * (1 - JITTER + Math.random() * 2 * JITTER)
    const freshUntil = now + ttlMs
    return { value, freshUntil, staleUntil: freshUntil + this.options.graceSeconds * 1000 }
  }

  /**
   * Makes every value depending on these scopes unreachable on every instance: bumps the shared
   * generations in Redis (or locally without it) and announces them on the bus.
   */
  async invalidate(scopes: readonly string[]): Promise<void> {
    if (scopes.length === 0) return
    const shared = await this.l2?.bumpGenerations(scopes)
    const generations = shared ?? this.generations.bumpLocal(scopes)
    this.generations.apply(generations)
    this.purgeL1(Object.keys(generations))
    if (shared) {
      this.stats.busMessagesOut++
      void this.l2?.publish(JSON.stringify({ origin: this.origin, generations } satisfies BusMessage))
    }
  }

  private onBusMessage(message: BusMessage): void {
    this.stats.busMessagesIn++
    if (message.origin === this.origin) return
    this.generations.apply(message.generations)
    this.purgeL1(Object.keys(message.generations))
  }

  /** Drops L1 entries built on an older generation of these scopes, freeing their memory now. */
  private purgeL1(scopes: string[]): void {
    const namespaces = new Set(scopes.filter((s) => s.startsWith('ns:')).map((s) => s.slice(3)))
    const tokens = scopes.filter((s) => !s.startsWith('ns:')).map((s) => `|${s}@`)
    for (const key of this.l1.keys()) {
      const type = key.slice(0, key.indexOf(':'))
      if (namespaces.has(type) || tokens.some((t) => key.includes(t))) this.l1.delete(key)
    }
  }

  /** After a (re)connect: messages may have been missed, so drop L1 and re-read the generations. */
  private async resync(): Promise<void> {
    const shared = await this.l2?.readGenerations()
    if (shared) this.generations.apply(shared)
    this.l1.clear()
  }
}
