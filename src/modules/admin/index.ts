import { Elysia } from 'elysia'
import { PRIVATE_NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { bigintField } from '../../http/cursor-fields.ts'
import { AccountSchema, type Identity } from '../../http/caller.ts'
import { readJsonBody } from '../../http/json-body.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import { queryParser } from '../../http/validate.ts'
import { ADMIN_DEFAULT_LIMIT, AdminUserPageSchema, EventPageSchema, EventsQuery, SetPlanSchema, UserIdParams, UsersQuery } from './model.ts'
import { eventListScope, userListScope, type AdminService } from './service.ts'

// Admin routes (role admin, `admin` scope): users, their plans, and the event log.

const MAX_PLAN_BODY_BYTES = 1024
const parseUsersQuery = queryParser(UsersQuery)
const parseEventsQuery = queryParser(EventsQuery)

export function adminRoutes(deps: { admin: AdminService; auth: Identity; cursors: CursorCodec }) {
  const { admin } = deps
  return new Elysia({ name: 'admin' })
    .use(routeOptions())
    .get(
      '/admin/users',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const q = parseUsersQuery(ctx.query)
        const email = q.email
        const limit = q.limit ?? ADMIN_DEFAULT_LIMIT
        const after = q.cursor === undefined ? undefined : decodeTimestampCursor(deps.cursors, userListScope(email), q.cursor)
        return admin.users({ email, limit, after })
      },
      {
        cachePolicy: PRIVATE_NO_STORE,
        detail: operation({
          tags: ['admin'],
          summary: 'Users, newest first',
          description: 'Cursor-paginated over (created_at, id); `email` filters on an exact (case-insensitive) address.',
          access: 'admin',
          query: UsersQuery,
          ok: { 200: AdminUserPageSchema },
          errors: { 400: ['invalid_email', 'invalid_limit', 'invalid_cursor'] },
        }),
      },
    )
    .post(
      '/admin/users/:id/plan',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const id = parseId(ctx.params.id, 'user id')
        const { plan } = await readJsonBody(ctx.request, SetPlanSchema, MAX_PLAN_BODY_BYTES)
        return admin.setPlan(id, plan)
      },
      {
        parse: 'none',
        detail: operation({
          tags: ['admin'],
          summary: 'Set a user’s plan',
          description: 'Takes effect on every instance at once: the user’s cached account is invalidated.',
          access: 'admin',
          params: UserIdParams,
          body: { schema: SetPlanSchema, maxBytes: MAX_PLAN_BODY_BYTES },
          ok: { 200: AccountSchema },
          errors: { 400: ['invalid_id'], 404: ['user_not_found'] },
        }),
      },
    )
    .get(
      '/admin/events',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const q = parseEventsQuery(ctx.query)
        const { type, user_id: userId } = q
        const limit = q.limit ?? ADMIN_DEFAULT_LIMIT
        const [beforeId] = q.cursor ? deps.cursors.decode(eventListScope(type, userId), q.cursor, [bigintField]) : []
        return admin.events({ type, userId, limit, beforeId })
      },
      {
        cachePolicy: PRIVATE_NO_STORE,
        detail: operation({
          tags: ['admin'],
          summary: 'Usage events, newest first',
          description: 'Cursor-paginated over id; filter by `type` and `user_id`.',
          access: 'admin',
          query: EventsQuery,
          ok: { 200: EventPageSchema },
          errors: { 400: ['invalid_type', 'invalid_user_id', 'invalid_limit', 'invalid_cursor'] },
        }),
      },
    )
}
