import { Elysia } from 'elysia'
import type { Identity } from '../../http/caller.ts'
import type { Config } from '../../config.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { publicFor } from '../../http/cache-policy.ts'
import { CachedGet } from '../../http/cached-get.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import { routeOptions } from '../../http/route-options.ts'
import { parseVideoListQuery } from './list-params.ts'
import { IdParams, ListQuery, MAX_PATCH_BYTES, VideoDetailSchema, VideoPageSchema, VideoPatchSchema } from './model.ts'
import { readVideoPatch } from './patch.ts'
import type { VideoService } from './service.ts'

// GET /videos, GET /videos/{id}, PATCH /videos/{id}: parse, call the service, return.

export function videoRoutes(deps: { config: Config; videos: VideoService; auth: Identity; cursors: CursorCodec }) {
  const { videos } = deps
  const list = CachedGet.declare({
    template: '/videos',
    policy: publicFor(60),
    parse: ({ query }) => parseVideoListQuery(query, deps.cursors),
    cacheRequest: videos.listRequest,
    read: videos.list,
  })
  const one = CachedGet.declare({
    template: '/videos/:id',
    policy: publicFor(deps.config.CACHE_VIDEO_TTL, 60),
    parse: ({ params }) => parseId(params.id ?? '', 'video id'),
    cacheRequest: videos.getRequest,
    read: videos.get,
  })
  return new Elysia({ name: 'videos' })
    .use(routeOptions())
    .get(list.template, list.handle, {
      cached: list,
      detail: operation({
        tags: ['videos'],
        summary: 'List videos, newest first',
        description:
          'Keyset-paginated: pass `page_info.next_cursor` as `cursor` for the next page, with the same sort and filters. Rows added while you page appear before your position, so a walk never repeats or skips a row.',
        query: ListQuery,
        ok: { 200: VideoPageSchema },
        errors: { 400: ['invalid_sort', 'invalid_state', 'invalid_limit', 'invalid_cursor', 'invalid_channel', 'invalid_language', 'invalid_category'] },
      }),
    })
    .get(one.template, one.handle, {
      cached: one,
      detail: operation({
        tags: ['videos'],
        summary: 'A video',
        description: 'Full metadata, plus which transcript sources exist.',
        params: IdParams,
        ok: { 200: VideoDetailSchema },
        errors: { 400: ['invalid_id'], 404: ['video_not_found'] },
      }),
    })
    .patch(
      '/videos/:id',
      async ({ params, request, set }) => {
        await deps.auth.requireAdmin({ request, set })
        const id = parseId(params.id, 'video id')
        return videos.edit(id, await readVideoPatch(request))
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
