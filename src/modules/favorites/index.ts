import { Elysia } from 'elysia'
import { PRIVATE_NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { badRequest } from '../../http/errors.ts'
import { documentedResponses } from '../../http/openapi.ts'
import { parseId, parseLimit } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import type { Identity } from '../../http/caller.ts'
import { optionalText, readJsonObject, rejectUnknownFields } from '../../http/json-body.ts'
import {
  createRequestBody,
  errorSchema,
  FAVORITES_DEFAULT_LIMIT,
  FAVORITES_MAX_LIMIT,
  FavoritePageSchema,
  FavoriteSchema,
  IdParams,
  ListQuery,
  MAX_FAVORITE_BODY_BYTES,
  MAX_FAVORITE_TEXT,
  MAX_MS,
} from './model.ts'
import type { NewFavorite } from './queries.ts'
import { favoriteListScope, type FavoriteService } from './service.ts'

// GET /favorites, POST /favorites, DELETE /favorites/{id}: the caller's own, never cached in the
// shared cache (per-user data), always `private, no-store`.

const AUTH_ERRORS = {
  401: errorSchema('`unauthorized`, `invalid_token`, `token_expired` or `token_revoked`'),
  403: errorSchema('`insufficient_scope` or `no_account` (ADMIN_TOKEN)'),
}

function msField(body: Record<string, unknown>, field: string): number {
  const v = body[field]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_MS) throw badRequest('invalid_field', `${field} must be an integer from 0 to ${MAX_MS}`)
  return v
}

function parseNewFavorite(body: Record<string, unknown>): NewFavorite {
  rejectUnknownFields(body, ['video_id', 'start_ms', 'end_ms', 'text'])
  if (typeof body.video_id !== 'string') throw badRequest('invalid_field', 'video_id must be a UUID')
  const video_id = parseId(body.video_id, 'video_id')
  const start_ms = msField(body, 'start_ms')
  const end_ms = msField(body, 'end_ms')
  if (end_ms < start_ms) throw badRequest('invalid_range', `end_ms (${end_ms}) must not be before start_ms (${start_ms})`)
  return { video_id, start_ms, end_ms, text: optionalText(body, 'text', MAX_FAVORITE_TEXT) }
}

export function favoriteRoutes(deps: { favorites: FavoriteService; auth: Identity; cursors: CursorCodec }) {
  const { favorites } = deps
  return new Elysia({ name: 'favorites' })
    .use(routeOptions())
    .get(
      '/favorites',
      async (ctx) => {
        const caller = await deps.auth.requireAccount(ctx, 'read')
        const userId = caller.account.id
        const limit = parseLimit(ctx.query.limit, FAVORITES_DEFAULT_LIMIT, FAVORITES_MAX_LIMIT)
        const after = ctx.query.cursor ? decodeTimestampCursor(deps.cursors, favoriteListScope(userId), ctx.query.cursor) : undefined
        return favorites.list(userId, limit, after)
      },
      {
        query: ListQuery,
        cachePolicy: PRIVATE_NO_STORE,
        detail: {
          tags: ['favorites'],
          summary: 'The caller’s favorites, newest first',
          description: 'Cursor-paginated over (created_at, id). Needs a signed-in caller (`read` scope).',
          responses: documentedResponses({ 200: FavoritePageSchema, 400: errorSchema('`invalid_limit` or `invalid_cursor`'), ...AUTH_ERRORS }),
        },
      },
    )
    .post(
      '/favorites',
      async (ctx) => {
        const caller = await deps.auth.requireAccount(ctx, 'write')
        const input = parseNewFavorite(await readJsonObject(ctx.request, MAX_FAVORITE_BODY_BYTES))
        const favorite = await favorites.create(caller.account.id, input)
        ctx.set.headers.location = `/favorites/${favorite.id}`
        return ctx.status(201, favorite)
      },
      {
        parse: 'none',
        detail: {
          tags: ['favorites'],
          summary: 'Save a moment of a video',
          description: `A time range (\`start_ms\`..\`end_ms\`) of a video with an optional note of up to ${MAX_FAVORITE_TEXT} characters. Needs the \`write\` scope.`,
          requestBody: createRequestBody,
          responses: documentedResponses({
            201: FavoriteSchema,
            400: errorSchema('`invalid_json`, `invalid_unicode`, `invalid_body`, `unknown_field`, `invalid_field`, `invalid_id` or `invalid_range`'),
            ...AUTH_ERRORS,
            404: errorSchema('`video_not_found`'),
            413: errorSchema('`payload_too_large`'),
            415: errorSchema('`unsupported_media_type`'),
          }),
        },
      },
    )
    .delete(
      '/favorites/:id',
      async (ctx) => {
        const caller = await deps.auth.requireAccount(ctx, 'write')
        const id = parseId(ctx.params.id, 'favorite id')
        // Someone else's favorite is a 404 like a missing one: ids of other users' data are not confirmed.
        await favorites.delete(caller.account.id, id)
        return ctx.status(204, null)
      },
      {
        params: IdParams,
        detail: {
          tags: ['favorites'],
          summary: 'Delete one of the caller’s favorites',
          responses: { 204: { description: 'deleted' }, ...documentedResponses({ 400: errorSchema('`invalid_id`'), ...AUTH_ERRORS, 404: errorSchema('`favorite_not_found`') }) },
        },
      },
    )
}
