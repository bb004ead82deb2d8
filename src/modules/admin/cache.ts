import { Elysia, t } from 'elysia'
import { PRIVATE_NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import { readRedisInfo } from '../../cache/redis-info.ts'
import { CacheType } from '../../cache/scopes.ts'
import { namespaceScope } from '../../cache/keys.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { RedisClient } from '../../platform/redis.ts'
import { badRequest } from '../../http/errors.ts'
import { documentedResponses } from '../../http/openapi.ts'
import type { Identity } from '../../http/caller.ts'
import { readJsonObject, rejectUnknownFields } from '../../http/json-body.ts'
import { errorSchema } from './model.ts'

// Operators' view of the cache: GET /admin/cache/stats (the performance guide's fields plus L1,
// per-resource hit rates and the breaker) and POST /admin/cache/invalidate { namespace }.

const INFO_TIMEOUT_MS = 500
const MAX_BODY_BYTES = 1024
const NAMESPACES = [...Object.values(CacheType), 'all'] as const

const AUTH_ERRORS = {
  401: errorSchema('`unauthorized`, `invalid_token`, `token_expired` or `token_revoked`'),
  403: errorSchema('`forbidden` (not an admin) or `insufficient_scope`'),
}

const StatsSchema = t.Object(
  {
    available: t.Boolean({ description: 'Redis (L2) answers' }),
    used_memory: t.Union([t.String(), t.Null()]),
    total_keys: t.Union([t.Number(), t.Null()]),
    connected_clients: t.Union([t.Number(), t.Null()]),
    uptime_seconds: t.Union([t.Number(), t.Null()]),
    hit_rate: t.Number({ description: 'hits (both tiers and stale) over lookups since start, this instance' }),
    l1: t.Object({ entries: t.Number(), bytes: t.Number(), max_bytes: t.Number() }),
    breaker: t.String({ description: 'closed, open, half-open; "none" without Redis' }),
    bus: t.Object({
      trusted: t.Boolean({ description: 'this instance hears its own heartbeats on the invalidation bus (always true without Redis)' }),
      resyncs: t.Integer({ description: 'times the bus reconnected and the versions were read again (L1 dropped)' }),
      resets_detected: t.Integer({ description: 'times Redis was found to have lost the cache versions (every cached value dropped)' }),
    }),
    resources: t.Record(
      t.String(),
      t.Object({ hit_rate: t.Number(), hits_l1: t.Number(), hits_l2: t.Number(), misses: t.Number(), stale_served: t.Number(), loader_calls: t.Number(), coalesced: t.Number() }),
    ),
  },
  { title: 'CacheStats' },
)

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
        detail: {
          tags: ['admin'],
          summary: 'Cache statistics (admin)',
          description: 'Redis facts (`available`, `used_memory`, `total_keys`, `connected_clients`, `uptime_seconds`), this instance’s hit rate, L1 size, breaker state, bus state and per-resource counters.',
          responses: documentedResponses({ 200: StatsSchema, ...AUTH_ERRORS }),
        },
      },
    )
    .post(
      '/admin/cache/invalidate',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const body = await readJsonObject(ctx.request, MAX_BODY_BYTES)
        rejectUnknownFields(body, ['namespace'])
        const namespace = NAMESPACES.find((n) => n === body.namespace)
        if (!namespace) throw badRequest('invalid_namespace', `namespace must be one of ${NAMESPACES.join(', ')}`)
        const types = namespace === 'all' ? Object.values(CacheType) : [namespace]
        await deps.cache.invalidate(types.map(namespaceScope))
        return { invalidated: types }
      },
      {
        parse: 'none',
        detail: {
          tags: ['admin'],
          summary: 'Drop a cache namespace on every instance (admin)',
          description: `Bumps the namespace generation and announces it on the bus. \`namespace\`: ${NAMESPACES.join(', ')}.`,
          responses: documentedResponses({
            200: t.Object({ invalidated: t.Array(t.String()) }),
            400: errorSchema('`invalid_namespace`, `invalid_json`, `invalid_unicode`, `invalid_body` or `unknown_field`'),
            ...AUTH_ERRORS,
          }),
        },
      },
    )
}
