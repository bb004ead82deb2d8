import { Elysia } from 'elysia'
import { PRIVATE_NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import type { Identity } from '../../http/caller.ts'
import { badRequest } from '../../http/errors.ts'
import { readJsonBody } from '../../http/json-body.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import { queryParser } from '../../http/validate.ts'
import {
  FAVORITES_DEFAULT_LIMIT,
  FavoritePageSchema,
  FavoriteSchema,
  IdParams,
  ListQuery,
  MAX_FAVORITE_BODY_BYTES,
  MAX_FAVORITE_TEXT,
  NewFavoriteSchema,
  type NewFavorite,
} from './model.ts'
import { favoriteListScope, type FavoriteService } from './service.ts'

// GET /favorites, POST /favorites, DELETE /favorites/{id}: the caller's own, never cached in the
// shared cache (per-user data), always `private, no-store`.

const parseListQuery = queryParser(ListQuery)

async function readNewFavorite(request: Request): Promise<NewFavorite> {
  const f = await readJsonBody(request, NewFavoriteSchema, MAX_FAVORITE_BODY_BYTES)
  if (f.end_ms < f.start_ms) throw badRequest('invalid_range', `end_ms (${f.end_ms}) must not be before start_ms (${f.start_ms})`)
  return { ...f, video_id: f.video_id.toLowerCase() }
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
        const q = parseListQuery(ctx.query)
        const limit = q.limit ?? FAVORITES_DEFAULT_LIMIT
        const after = q.cursor === undefined ? undefined : decodeTimestampCursor(deps.cursors, favoriteListScope(userId), q.cursor)
        return favorites.list(userId, limit, after)
      },
      {
        cachePolicy: PRIVATE_NO_STORE,
        detail: operation({
          tags: ['favorites'],
          summary: 'The caller’s favorites, newest first',
          description: 'Cursor-paginated over (created_at, id). Needs a signed-in caller (`read` scope).',
          access: 'account',
          query: ListQuery,
          ok: { 200: FavoritePageSchema },
          errors: { 400: ['invalid_limit', 'invalid_cursor'] },
        }),
      },
    )
    .post(
      '/favorites',
      async (ctx) => {
        const caller = await deps.auth.requireAccount(ctx, 'write')
        const input = await readNewFavorite(ctx.request)
        const favorite = await favorites.create(caller.account.id, input)
        ctx.set.headers.location = `/favorites/${favorite.id}`
        return ctx.status(201, favorite)
      },
      {
        parse: 'none',
        detail: operation({
          tags: ['favorites'],
          summary: 'Save a moment of a video',
          description: `A time range (\`start_ms\`..\`end_ms\`) of a video with an optional note of up to ${MAX_FAVORITE_TEXT} characters. Needs the \`write\` scope.`,
          access: 'account',
          body: { schema: NewFavoriteSchema, maxBytes: MAX_FAVORITE_BODY_BYTES },
          ok: { 201: FavoriteSchema },
          errors: { 400: ['invalid_range'], 404: ['video_not_found'] },
        }),
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
        // No body is read: one sent is ignored, not parsed.
        parse: 'none',
        detail: operation({
          tags: ['favorites'],
          summary: 'Delete one of the caller’s favorites',
          access: 'account',
          params: IdParams,
          ok: { 204: { description: 'deleted' } },
          errors: { 400: ['invalid_id'], 404: ['favorite_not_found'] },
        }),
      },
    )
}
