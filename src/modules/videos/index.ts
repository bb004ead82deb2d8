import { Elysia } from 'elysia'
import { afterVideoEdited } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Auth } from '../auth/identity.ts'
import type { Config } from '../../config.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { notFound } from '../../http/errors.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import type { Sql } from '../../platform/db.ts'
import { timed } from '../../platform/db-metrics.ts'
import { parseVideoListQuery } from './list-params.ts'
import { IdParams, ListQuery, MAX_PATCH_BYTES, VideoDetailSchema, VideoPageSchema, VideoPatchSchema } from './model.ts'
import { readVideoPatch } from './patch.ts'
import { toVideoDetail } from './present.ts'
import { cachedVideo, cachedVideoList } from './cached-reads.ts'
import { updateVideo } from './service.ts'

// GET /videos, GET /videos/{id}, PATCH /videos/{id}.

export function videoRoutes(deps: { config: Config; sql: Sql; cache: TieredCache; auth: Auth; cursors: CursorCodec }) {
  const { sql } = deps
  return new Elysia({ name: 'videos' })
    .get(
      '/videos',
      ({ query }) => {
        const { input, scope } = parseVideoListQuery(query, deps.cursors)
        return cachedVideoList(deps, input, scope)
      },
      {
        detail: operation({
          tags: ['videos'],
          summary: 'List videos, newest first',
          description:
            'Keyset-paginated: pass `page_info.next_cursor` as `cursor` for the next page, with the same sort and filters. Rows added while you page appear before your position, so a walk never repeats or skips a row.',
          query: ListQuery,
          ok: { 200: VideoPageSchema },
          errors: { 400: ['invalid_sort', 'invalid_state', 'invalid_limit', 'invalid_cursor', 'invalid_channel', 'invalid_language', 'invalid_category'] },
        }),
      },
    )
    .get(
      '/videos/:id',
      ({ params }) => cachedVideo(deps, parseId(params.id, 'video id')),
      {
        detail: operation({
          tags: ['videos'],
          summary: 'A video',
          description: 'Full metadata, plus which transcript sources exist.',
          params: IdParams,
          ok: { 200: VideoDetailSchema },
          errors: { 400: ['invalid_id'], 404: ['video_not_found'] },
        }),
      },
    )
    .patch(
      '/videos/:id',
      async ({ params, request, set }) => {
        await deps.auth.requireAdmin({ request, set })
        const id = parseId(params.id, 'video id')
        const patch = await readVideoPatch(request)
        const video = await timed('video_update', () => updateVideo(sql, id, patch), [id, patch])
        if (!video) throw notFound('video_not_found', `no video with id ${id}`)
        await deps.cache.invalidate(afterVideoEdited(id))
        return toVideoDetail(video)
      },
      {
        // The handler reads the body itself: after the token check, and within the size limit.
        parse: 'none',
        detail: operation({
          tags: ['videos'],
          summary: 'Edit a video’s title, channel, language or category',
          description: 'Needs an admin. Returns the updated video; `updated_at` moves forward.',
          access: 'admin',
          params: IdParams,
          body: {
            schema: VideoPatchSchema,
            maxBytes: MAX_PATCH_BYTES,
            description: `JSON, at most ${MAX_PATCH_BYTES} bytes, at least one field. Strings are trimmed; null clears a field; any other field is a 400.`,
          },
          ok: { 200: VideoDetailSchema },
          errors: { 400: ['invalid_id'], 404: ['video_not_found'] },
        }),
      },
    )
}
