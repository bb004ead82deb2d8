import { Elysia } from 'elysia'
import { afterAccountChanged } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { bigintField } from '../../http/cursor-fields.ts'
import { notFound } from '../../http/errors.ts'
import { readJsonBody } from '../../http/json-body.ts'
import { operation } from '../../http/openapi-operation.ts'
import { toPage } from '../../http/pagination.ts'
import { parseId } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import { queryParser } from '../../http/validate.ts'
import type { Sql } from '../../platform/db.ts'
import { timed } from '../../platform/db-metrics.ts'
import type { Auth } from '../auth/identity.ts'
import { setPlan } from '../auth/service.ts'
import { AccountSchema } from '../auth/model.ts'
import { listEvents } from '../events/service.ts'
import { ADMIN_DEFAULT_LIMIT, AdminUserPageSchema, EventPageSchema, EventsQuery, SetPlanSchema, UserIdParams, UsersQuery } from './model.ts'
import { listUsersQuery, toAdminUser } from './service.ts'

// Admin routes (role admin, `admin` scope): users, their plans, and the event log.

const MAX_PLAN_BODY_BYTES = 1024
const parseUsersQuery = queryParser(UsersQuery)
const parseEventsQuery = queryParser(EventsQuery)

export function adminRoutes(deps: { sql: Sql; cache: TieredCache; auth: Auth; cursors: CursorCodec }) {
  return new Elysia({ name: 'admin' })
    .get(
      '/admin/users',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const q = parseUsersQuery(ctx.query)
        const email = q.email
        const limit = q.limit ?? ADMIN_DEFAULT_LIMIT
        const scope = `GET /admin/users ${JSON.stringify([email?.trim().toLowerCase() ?? null])}`
        const after = q.cursor === undefined ? undefined : decodeTimestampCursor(deps.cursors, scope, q.cursor)
        const rows = await timed('admin_user_list', () => listUsersQuery(deps.sql, { email, limit, after }))
        return toPage(deps.cursors, rows, limit, scope, (r) => [r.created_key, r.id], toAdminUser)
      },
      {
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
        const account = await timed('user_set_plan', () => setPlan(deps.sql, id, plan))
        if (!account) throw notFound('user_not_found', `no user with id ${id}`)
        // Every credential of the user sees the new plan (and quota) on its next request, on every instance.
        await deps.cache.invalidate(afterAccountChanged(id))
        return account
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
        const scope = `GET /admin/events ${JSON.stringify([type ?? null, userId ?? null])}`
        const [beforeId] = q.cursor ? deps.cursors.decode(scope, q.cursor, [bigintField]) : []
        const rows = await timed('admin_event_list', () => listEvents(deps.sql, { type, userId, limit, beforeId }))
        return toPage(deps.cursors, rows, limit, scope, (r) => [r.id], (r) => r)
      },
      {
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
