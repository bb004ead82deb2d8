import type { RedisClient } from '../platform/redis.ts'
import { CircuitBreaker } from './breaker.ts'
import type { Codec } from './codec.ts'
import { decodeEntry, encodeEntry, type CacheEntry } from './entry.ts'
import type { KeySpace } from './keys.ts'
import type { CacheStats } from './stats.ts'
import { TimeoutError, withTimeout } from './with-timeout.ts'

// The Redis tier. Every call is bounded by a short timeout and guarded by a circuit breaker: a slow
// or dead Redis adds at most the timeout to a request, and nothing while the breaker is open.
// Failures are counted, never thrown: L2 is an optimisation, the loader is the source of truth.

export class L2Tier {
  readonly breaker = new CircuitBreaker()
  private lastAnswerAt = 0

  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeySpace,
    private readonly timeoutMs: number,
    private readonly stats: CacheStats,
  ) {}

  /** Runs a Redis call under the breaker and timeout; undefined when skipped or failed. */
  private async guarded<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (!this.breaker.allow()) return undefined
    try {
      // Disconnected (node-redis is reconnecting): a failure like any other, so the breaker opens.
      if (!this.client.isReady) throw new Error('redis is not connected')
      const result = await withTimeout(call(), this.timeoutMs)
      this.lastAnswerAt = Date.now()
      this.breaker.success()
      return result
    } catch (err) {
      this.stats.l2Errors++
      // A timeout while other calls keep being answered is this process stalling or a queue on
      // the connection, not a sick Redis: that one request goes to the loader, but the breaker
      // stays closed for everyone else.
      const redisAnswering = err instanceof TimeoutError && Date.now() - this.lastAnswerAt < this.timeoutMs
      if (!redisAnswering) this.breaker.failure()
      return undefined
    }
  }

  async get<V>(key: string, codec: Codec<V>): Promise<CacheEntry<V> | undefined> {
    const raw = await this.guarded(() => this.client.getBuffer(this.keys.entry(key)))
    return raw instanceof Uint8Array ? decodeEntry(raw, codec) : undefined
  }

  /** Stores the entry until its grace period ends; fire-and-forget from the caller's view. */
  async set<V>(key: string, entry: CacheEntry<V>, codec: Codec<V>): Promise<void> {
    const ttl = Math.max(1, Math.ceil(entry.staleUntil - Date.now()))
    const bytes = encodeEntry(entry, codec)
    await this.guarded(() => this.client.set(this.keys.entry(key), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), ttl))
  }

  /** SET NX lock for cross-instance single-flight; true when this caller holds it. */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.guarded(() => this.client.set(this.keys.lock(key), token, ttlMs, true))) === true
  }

  /** Releases the lock only if this caller still holds it. */
  async unlock(key: string, token: string): Promise<void> {
    await this.guarded(() =>
      this.client.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", [this.keys.lock(key)], [token]),
    )
  }

  /** A Lua script's reply, or undefined when Redis was skipped, failed or too slow. */
  async script(source: string, keys: string[], args: string[]): Promise<unknown> {
    return this.guarded(() => this.client.eval(source, keys, args))
  }

  async publish(channel: string, message: string): Promise<boolean> {
    return (await this.guarded(() => this.client.publish(channel, message))) !== undefined
  }
}
