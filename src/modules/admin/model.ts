import { t } from 'elysia'
import { ErrorSchema } from '../../http/errors.ts'
import { PageSchema } from '../../http/pagination.ts'
import { PLANS, ROLES } from '../../http/caller.ts'
import { EventSchema } from '../events/index.ts'

export const ADMIN_DEFAULT_LIMIT = 50
export const ADMIN_MAX_LIMIT = 200

export const errorSchema = (description: string) => t.Object(ErrorSchema.properties, { description })

export const AdminUserSchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    email: t.Nullable(t.String({ examples: ['ada@example.com'] })),
    name: t.Nullable(t.String()),
    avatar_url: t.Nullable(t.String()),
    role: t.UnionEnum([...ROLES]),
    plan: t.UnionEnum([...PLANS]),
    oauth_provider: t.Nullable(t.String({ description: 'oidc, google, twitch; null for users made by `transcript-api users create`' })),
    created_at: t.String({ format: 'date-time' }),
    updated_at: t.String({ format: 'date-time' }),
  },
  { title: 'AdminUser' },
)

export const AdminUserPageSchema = PageSchema(AdminUserSchema, 'AdminUserPage')
export const EventPageSchema = PageSchema(EventSchema, 'EventPage')

export const UsersQuery = t.Object({
  email: t.Optional(t.String({ description: 'exact email (case-insensitive)', examples: ['ada@example.com'] })),
  limit: t.Optional(t.String({ description: `1..${ADMIN_MAX_LIMIT}, default ${ADMIN_DEFAULT_LIMIT}` })),
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page (same filter)' })),
})

export const EventsQuery = t.Object({
  type: t.Optional(t.String({ description: 'only events of this type', examples: ['export'] })),
  user_id: t.Optional(t.String({ description: 'only this user’s events (uuid)' })),
  limit: t.Optional(t.String({ description: `1..${ADMIN_MAX_LIMIT}, default ${ADMIN_DEFAULT_LIMIT}` })),
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page (same filters)' })),
})

export const UserIdParams = t.Object({ id: t.String({ description: 'User id (UUID)' }) })

export const planRequestBody = {
  required: true,
  content: {
    'application/json': {
      schema: t.Object({ plan: t.UnionEnum([...PLANS]) }, { title: 'SetPlan', additionalProperties: false }) as unknown as Record<string, unknown>,
    },
  },
}
