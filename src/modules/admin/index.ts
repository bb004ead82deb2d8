import { Elysia } from 'elysia'
import { PRIVATE_NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { bigintField } from '../../http/cursor-fields.ts'
import { badRequest } from '../../http/errors.ts'
import { documentedResponses } from '../../http/openapi.ts'
import { parseId, parseLimit, parseOptionalId } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import type { Identity } from '../../http/caller.ts'
import { readJsonObject, rejectUnknownFields } from '../../http/json-body.ts'
import { PLANS } from '../../http/caller.ts'
import { AccountSchema } from '../auth/index.ts'
import { EVENT_TYPE } from '../events/index.ts'
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
import { eventListScope, userListScope, type AdminService } from './service.ts'

// Admin routes (role admin, `admin` scope): users, their plans, and the event log.

const AUTH_ERRORS = {
  401: errorSchema('`unauthorized`, `invalid_token`, `token_expired` or `token_revoked`'),
  403: errorSchema('`forbidden` (not an admin) or `insufficient_scope`'),
}

export function adminRoutes(deps: { admin: AdminService; auth: Identity; cursors: CursorCodec }) {
  const { admin } = deps
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
        const after = q.cursor ? decodeTimestampCursor(deps.cursors, userListScope(email), q.cursor) : undefined
        return admin.users({ email, limit, after })
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
        return admin.setPlan(id, plan)
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
        const [beforeId] = q.cursor ? deps.cursors.decode(eventListScope(type, userId), q.cursor, [bigintField]) : []
        return admin.events({ type, userId, limit, beforeId })
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
