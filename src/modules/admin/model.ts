import { type Static, Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { OneOf } from '../../http/one-of.ts'
import { CacheType } from '../../cache/scopes.ts'
import { PageSchema } from '../../http/pagination.ts'
import { PLANS, ROLES } from '../../http/caller.ts'
import { Text } from '../../http/text.ts'
import { EVENT_TYPE, EventSchema } from '../events/index.ts'

export const ADMIN_DEFAULT_LIMIT = 50
export const ADMIN_MAX_LIMIT = 200

export const AdminUserSchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    email: t.Nullable(t.String({ examples: ['ada@example.com'] })),
    name: t.Nullable(t.String()),
    avatar_url: t.Nullable(t.String()),
    role: OneOf(ROLES),
    plan: OneOf(PLANS),
    oauth_provider: t.Nullable(t.String({ description: 'oidc, google, twitch; null for users made by `transcript-api users create`' })),
    created_at: t.String({ format: 'date-time' }),
    updated_at: t.String({ format: 'date-time' }),
  },
  { title: 'AdminUser' },
)

/** An account plus what only admins see. */
export type AdminUser = Static<typeof AdminUserSchema>

export const AdminUserPageSchema = PageSchema(AdminUserSchema, 'AdminUserPage')
export const EventPageSchema = PageSchema(EventSchema, 'EventPage')

const Limit = t.Optional(
  Type.Integer({ minimum: 1, maximum: ADMIN_MAX_LIMIT, default: ADMIN_DEFAULT_LIMIT, description: `1..${ADMIN_MAX_LIMIT}, default ${ADMIN_DEFAULT_LIMIT}` }),
)

export const UsersQuery = t.Object({
  email: t.Optional(Text({ maxLength: 320 }, { description: 'exact email (case-insensitive)', examples: ['ada@example.com'] })),
  limit: Limit,
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page (same filter)' })),
})

export const EventsQuery = t.Object({
  type: t.Optional(t.String({ pattern: EVENT_TYPE.source, mustBe: 'an event type: a lower-case letter, then letters, digits, _ . : or -', description: 'only events of this type', examples: ['export'] })),
  user_id: t.Optional(t.String({ format: 'uuid', description: 'only this user’s events' })),
  limit: Limit,
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page (same filters)' })),
})

export const UserIdParams = t.Object({ id: t.String({ format: 'uuid', description: 'User id (UUID)' }) })

export const SetPlanSchema = t.Object({ plan: OneOf(PLANS) }, { title: 'SetPlan', additionalProperties: false })

export const CACHE_NAMESPACES = [...Object.values(CacheType), 'all'] as const

export const CacheInvalidateSchema = t.Object(
  { namespace: t.Union(CACHE_NAMESPACES.map((n) => t.Literal(n)), { mustBe: `one of ${CACHE_NAMESPACES.join(', ')}`, description: 'a cache type, or `all`' }) },
  { title: 'CacheInvalidate', additionalProperties: false },
)

export const CacheInvalidatedSchema = t.Object({ invalidated: t.Array(t.String({ examples: ['video'] })) }, { title: 'CacheInvalidated' })

export const CacheStatsSchema = t.Object(
  {
    available: t.Boolean({ description: 'Redis (L2) answers' }),
    used_memory: t.Union([t.String(), t.Null()]),
    total_keys: t.Union([Type.Integer(), t.Null()]),
    connected_clients: t.Union([Type.Integer(), t.Null()]),
    uptime_seconds: t.Union([Type.Integer(), t.Null()]),
    hit_rate: t.Number({ description: 'hits (both tiers and stale) over lookups since start, this instance' }),
    l1: t.Object({ entries: Type.Integer(), bytes: Type.Integer(), max_bytes: Type.Integer() }),
    breaker: t.String({ description: 'closed, open, half-open; "none" without Redis' }),
    bus: t.Object({
      trusted: t.Boolean({ description: 'this instance hears its own heartbeats on the invalidation bus (always true without Redis)' }),
      resyncs: Type.Integer({ description: 'times the bus reconnected and the versions were read again (L1 dropped)' }),
      resets_detected: Type.Integer({ description: 'times Redis was found to have lost the cache versions (every cached value dropped)' }),
    }),
    resources: t.Record(
      t.String(),
      t.Object({ hit_rate: t.Number(), hits_l1: Type.Integer(), hits_l2: Type.Integer(), misses: Type.Integer(), stale_served: Type.Integer(), loader_calls: Type.Integer(), coalesced: Type.Integer() }),
    ),
  },
  { title: 'CacheStats' },
)

