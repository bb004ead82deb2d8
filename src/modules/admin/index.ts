import { Elysia } from 'elysia'
import { PRIVATE_NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import { afterAccountChanged } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { bigintField } from '../../http/cursor-fields.ts'
import { badRequest, notFound } from '../../http/errors.ts'
import { documentedResponses } from '../../http/openapi.ts'
import { toPage } from '../../http/pagination.ts'
import { parseId, parseLimit, parseOptionalId } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import type { Identity } from '../../http/caller.ts'
import { readJsonObject, rejectUnknownFields } from '../../http/json-body.ts'
import { PLANS } from '../../http/caller.ts'
import { AccountSchema, setPlan } from '../auth/index.ts'
import { EVENT_TYPE, listEvents } from '../events/index.ts'
import {
  ADMIN_DEFAULT_LIMIT,
  ADMIN_MAX_LIMIT,
  AdminUserPageSchema,
  errorSchema,
  EventPageSchema,
  EventsQuery,
  planRequestBody,
  UserIdParams,
  UsersQuery,
} from './model.ts'
import { listUsersQuery, toAdminUser } from './service.ts'

// Admin routes (role admin, `admin` scope): users, their plans, and the event log.

const AUTH_ERRORS = {
  401: errorSchema('`unauthorized`, `invalid_token`, `token_expired` or `token_revoked`'),
  403: errorSchema('`forbidden` (not an admin) or `insufficient_scope`'),
}

export function adminRoutes(deps: { sql: Sql; cache: TieredCache; auth: Identity; cursors: CursorCodec; timed: Timed }) {
  const { timed } = deps
  return new Elysia({ name: 'admin' })
    .use(routeOptions())
    .get(
      '/admin/users',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const q = ctx.query
        const email = q.email === undefined || q.email === '' ? undefined : q.email
        if (email !== undefined && (email.length > 320 || /[\u0000-\u001f]/.test(email))) throw badRequest('invalid_email', 'email must be at most 320 characters without control characters')
        const limit = parseLimit(q.limit, ADMIN_DEFAULT_LIMIT, ADMIN_MAX_LIMIT)
        const scope = `GET /admin/users ${JSON.stringify([email?.trim().toLowerCase() ?? null])}`
        const after = q.cursor ? decodeTimestampCursor(deps.cursors, scope, q.cursor) : undefined
        const rows = await timed('admin_user_list', () => listUsersQuery(deps.sql, { email, limit, after }))
        return toPage(deps.cursors, rows, limit, scope, (r) => [r.created_key, r.id], toAdminUser)
      },
      {
        query: UsersQuery,
        cachePolicy: PRIVATE_NO_STORE,
        detail: {
          tags: ['admin'],
          summary: 'Users, newest first',
          description: 'Cursor-paginated over (created_at, id); `email` filters on an exact (case-insensitive) address.',
          responses: documentedResponses({ 200: AdminUserPageSchema, 400: errorSchema('`invalid_email`, `invalid_limit` or `invalid_cursor`'), ...AUTH_ERRORS }),
        },
      },
    )
    .post(
      '/admin/users/:id/plan',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const id = parseId(ctx.params.id, 'user id')
        const body = await readJsonObject(ctx.request, 1024)
        rejectUnknownFields(body, ['plan'])
        const plan = PLANS.find((p) => p === body.plan)
        if (!plan) throw badRequest('invalid_plan', `plan must be one of ${PLANS.join(', ')}`)
        const account = await timed('user_set_plan', () => setPlan(deps.sql, id, plan))
        if (!account) throw notFound('user_not_found', `no user with id ${id}`)
        // Every credential of the user sees the new plan (and quota) on its next request, on every instance.
        await deps.cache.invalidate(afterAccountChanged(id))
        return account
      },
      {
        parse: 'none',
        params: UserIdParams,
        detail: {
          tags: ['admin'],
          summary: 'Set a user’s plan',
          description: 'Takes effect on every instance at once: the user’s cached account is invalidated.',
          requestBody: planRequestBody,
          responses: documentedResponses({
            200: AccountSchema,
            400: errorSchema('`invalid_id`, `invalid_json`, `invalid_unicode`, `invalid_body`, `unknown_field` or `invalid_plan`'),
            ...AUTH_ERRORS,
            404: errorSchema('`user_not_found`'),
          }),
        },
      },
    )
    .get(
      '/admin/events',
      async (ctx) => {
        await deps.auth.requireAdmin(ctx)
        const q = ctx.query
        const type = q.type === undefined || q.type === '' ? undefined : q.type
        if (type !== undefined && !EVENT_TYPE.test(type)) throw badRequest('invalid_type', 'type must be an event type: a lower-case letter, then letters, digits, _ . : or -')
        const userId = parseOptionalId(q.user_id, 'user_id')
        const limit = parseLimit(q.limit, ADMIN_DEFAULT_LIMIT, ADMIN_MAX_LIMIT)
        const scope = `GET /admin/events ${JSON.stringify([type ?? null, userId ?? null])}`
        const [beforeId] = q.cursor ? deps.cursors.decode(scope, q.cursor, [bigintField]) : []
        const rows = await timed('admin_event_list', () => listEvents(deps.sql, { type, userId, limit, beforeId }))
        return toPage(deps.cursors, rows, limit, scope, (r) => [r.id], (r) => r)
      },
      {
        query: EventsQuery,
        cachePolicy: PRIVATE_NO_STORE,
        detail: {
          tags: ['admin'],
          summary: 'Usage events, newest first',
          description: 'Cursor-paginated over id; filter by `type` and `user_id`.',
          responses: documentedResponses({ 200: EventPageSchema, 400: errorSchema('`invalid_type`, `invalid_id`, `invalid_limit` or `invalid_cursor`'), ...AUTH_ERRORS }),
        },
      },
    )
}
