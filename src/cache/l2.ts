import { RESP_TYPES } from 'redis'
import type { RedisClient } from '../platform/redis.ts'
import { CircuitBreaker } from './breaker.ts'
import { decodeEntry, encodeEntry, type CacheEntry } from './entry.ts'
import type { KeySpace } from './keys.ts'
import type { CacheStats } from './stats.ts'
import { TimeoutError, withTimeout } from './with-timeout.ts'

// The Redis tier. Every call is bounded by a short timeout and guarded by a circuit breaker: a slow
// or dead Redis adds at most the timeout to a request, and nothing while the breaker is open.
// Failures are counted, never thrown: L2 is an optimisation, the loader is the source of truth.

export class L2Tier {
  readonly breaker = new CircuitBreaker()
  private readonly binary: ReturnType<RedisClient['withTypeMapping']>

  constructor(
    private readonly client: RedisClient,
    private readonly keys: KeySpace,
    private readonly timeoutMs: number,
    private readonly stats: CacheStats,
  ) {
    // Values come back as Buffers, not strings: bodies and gzip bytes are binary.
    this.binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
  }

  private lastAnswerAt = 0

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

  async get(key: string): Promise<CacheEntry | undefined> {
    const raw = await this.guarded(() => this.binary.get(this.keys.entry(key)))
    return raw instanceof Uint8Array ? decodeEntry(raw) : undefined
  }

  /** Stores the entry until its grace period ends; fire-and-forget from the caller's view. */
  async set(key: string, entry: CacheEntry): Promise<void> {
    const ttl = Math.max(1, Math.ceil(entry.staleUntil - Date.now()))
    // A view of the encoded bytes, not a copy: the copy cost 10-20% of a 60 KB miss (scripts/bench-cache.ts).
    const bytes = encodeEntry(entry)
    await this.guarded(() => this.client.set(this.keys.entry(key), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { expiration: { type: 'PX', value: ttl } }))
  }

  /** SET NX lock for cross-instance single-flight; true when this caller holds it. */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const ok = await this.guarded(() => this.client.set(this.keys.lock(key), token, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }))
    return ok === 'OK'
  }

  /** Releases the lock only if this caller still holds it. */
  async unlock(key: string, token: string): Promise<void> {
    await this.guarded(() =>
      this.client.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", {
        keys: [this.keys.lock(key)],
        arguments: [token],
      }),
    )
  }

  async bumpGenerations(scopes: readonly string[]): Promise<Record<string, number> | undefined> {
    return this.guarded(async () => {
      const multi = this.client.multi()
      for (const s of scopes) multi.hIncrBy(this.keys.generations, s, 1)
      const replies = await multi.exec()
      return Object.fromEntries(scopes.map((s, i) => [s, Number(replies[i])]))
    })
  }

  async readGenerations(): Promise<Record<string, string> | undefined> {
    return this.guarded(() => this.client.hGetAll(this.keys.generations))
  }

  async publish(message: string): Promise<void> {
    await this.guarded(() => this.client.publish(this.keys.channel, message))
  }
}
