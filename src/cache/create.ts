import type { Config } from '../config.ts'
import type { Logger } from '../platform/log.ts'
import type { RedisClient } from '../platform/redis.ts'
import { TieredCache } from './tiered-cache.ts'

/**
 * The server's cache from its configuration: L1 always, L2 and the bus when Redis is configured.
 * `prefix` is the deployment's (src/cache/prefix.ts).
 */
export function createCache(config: Config, redis: RedisClient | undefined, log: Logger, prefix: string): TieredCache {
  return new TieredCache(
    {
      enabled: config.ENABLE_CACHING,
      l1MaxBytes: config.L1_MAX_BYTES,
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
