import type { Config } from '../config.ts'
import type { Logger } from '../platform/log.ts'
import type { RedisClient } from '../platform/redis.ts'
import { TieredCache } from './tiered-cache.ts'

/**
 * How `L1_MAX_BYTES` is shared: the cached values get 7/8 of it, the fast path's memory of URLs
 * (src/http/fast-path.ts) the rest, so the one setting bounds everything a flood of unique URLs
 * can make the process keep.
 */
export function l1Budget(maxBytes: number): { values: number; fastPath: number } {
  const fastPath = Math.floor(maxBytes / 8)
  return { values: maxBytes - fastPath, fastPath }
}

/**
 * The server's cache from its configuration: L1 always, L2 and the bus when Redis is configured.
 * `prefix` is the deployment's (src/cache/prefix.ts).
 */
export function createCache(config: Config, redis: RedisClient | undefined, log: Logger, prefix: string): TieredCache {
  return new TieredCache(
    {
      enabled: config.ENABLE_CACHING,
      l1MaxBytes: l1Budget(config.L1_MAX_BYTES).values,
      l1MaxEntryBytes: config.L1_MAX_ENTRY_BYTES,
      l2TimeoutMs: config.CACHE_L2_TIMEOUT_MS,
      graceSeconds: config.CACHE_GRACE,
      negativeTtlSeconds: config.CACHE_NEGATIVE_TTL,
      distributedLock: config.CACHE_DISTRIBUTED_LOCK,
      prefix,
      busDownMaxAgeSeconds: config.CACHE_BUS_DOWN_MAX_AGE,
      bookkeepingTtlSeconds: config.CACHE_VERSIONS_TTL,
    },
    redis,
    log,
  )
}
