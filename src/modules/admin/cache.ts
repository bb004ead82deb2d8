import { Elysia } from 'elysia'
import { PRIVATE_NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import { readRedisInfo } from '../../cache/redis-info.ts'
import { CacheType } from '../../cache/scopes.ts'
import { namespaceScope } from '../../cache/keys.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { RedisClient } from '../../platform/redis.ts'
import type { Identity } from '../../http/caller.ts'
import { readJsonBody } from '../../http/json-body.ts'
import { operation } from '../../http/openapi-operation.ts'
import { CACHE_NAMESPACES, CacheInvalidateSchema, CacheInvalidatedSchema, CacheStatsSchema } from './model.ts'

// Operators' view of the cache: GET /admin/cache/stats (the performance guide's fields plus L1,
// per-resource hit rates and the breaker) and POST /admin/cache/invalidate { namespace }.

const INFO_TIMEOUT_MS = 500
const MAX_BODY_BYTES = 1024

export function adminCacheRoutes(deps: { cache: TieredCache; redis: RedisClient | undefined; auth: Identity; config: { L1_MAX_BYTES: number } }) {
  return new Elysia({ name: 'admin-cache' })
    .use(routeOptions())
    .get(
      '/admin/cache/stats',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const { cache } = deps
        const redis = await readRedisInfo(deps.redis, INFO_TIMEOUT_MS)
        const resources = Object.fromEntries(
          [...cache.stats.byType].map(([type, s]) => [
            type,
            { hit_rate: cache.stats.hitRate(type), hits_l1: s.hitsL1, hits_l2: s.hitsL2, misses: s.misses, stale_served: s.staleServed, loader_calls: s.loaderCalls, coalesced: s.coalesced },
          ]),
        )
        return {
          ...redis,
          hit_rate: cache.stats.hitRate(),
          l1: { entries: cache.l1Entries, bytes: cache.l1Bytes, max_bytes: deps.config.L1_MAX_BYTES },
          breaker: cache.breakerState ?? 'none',
          bus: { trusted: cache.busTrusted, resyncs: cache.stats.busResyncs, resets_detected: cache.stats.resetsDetected },
          resources,
        }
      },
      {
        cachePolicy: PRIVATE_NO_STORE,
        detail: operation({
          tags: ['admin'],
          summary: 'Cache statistics (admin)',
          description: 'Redis facts (`available`, `used_memory`, `total_keys`, `connected_clients`, `uptime_seconds`), this instance’s hit rate, L1 size, breaker state, bus state and per-resource counters.',
          access: 'admin',
          ok: { 200: CacheStatsSchema },
        }),
      },
    )
    .post(
      '/admin/cache/invalidate',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const { namespace } = await readJsonBody(ctx.request, CacheInvalidateSchema, MAX_BODY_BYTES)
        const types = namespace === 'all' ? Object.values(CacheType) : [namespace]
        await deps.cache.invalidate(types.map(namespaceScope))
        return { invalidated: types }
      },
      {
        parse: 'none',
        detail: operation({
          tags: ['admin'],
          summary: 'Drop a cache namespace on every instance (admin)',
          description: `Bumps the namespace generation and announces it on the bus. \`namespace\`: ${CACHE_NAMESPACES.join(', ')}.`,
          access: 'admin',
          body: { schema: CacheInvalidateSchema, maxBytes: MAX_BODY_BYTES },
          ok: { 200: CacheInvalidatedSchema },
        }),
      },
    )
}
