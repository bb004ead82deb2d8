import { Elysia } from 'elysia'
import type { Identity } from '../../http/caller.ts'
import type { Config } from '../../config.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { publicFor } from '../../http/cache-policy.ts'
import { CachedGet } from '../../http/cached-get.ts'
import { documentedResponses } from '../../http/openapi.ts'
import { parseId } from '../../http/params.ts'
import { routeOptions } from '../../http/route-options.ts'
import { decodeUtf8, mediaType, readBody, unsupportedMediaType } from '../../http/request-body.ts'
import { parseVideoListQuery } from './list-params.ts'
import { IdParams, ListQuery, VideoDetailSchema, VideoPageSchema, errorSchema, patchRequestBody } from './model.ts'
import { MAX_PATCH_BYTES, parseVideoPatch } from './patch.ts'
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
      query: ListQuery,
      detail: {
        tags: ['videos'],
        summary: 'List videos, newest first',
        description:
          'Keyset-paginated: pass `page_info.next_cursor` as `cursor` for the next page, with the same sort and filters. Rows added while you page appear before your position, so a walk never repeats or skips a row.',
        responses: documentedResponses({
          200: VideoPageSchema,
          400: errorSchema('`invalid_sort`, `invalid_state`, `invalid_limit`, `invalid_cursor`, `invalid_channel`, `invalid_language` or `invalid_category`'),
        }),
      },
    })
    .get(one.template, one.handle, {
      cached: one,
      params: IdParams,
      detail: {
        tags: ['videos'],
        summary: 'A video',
        description: 'Full metadata, plus which transcript sources exist.',
        responses: documentedResponses({ 200: VideoDetailSchema, 400: errorSchema('`invalid_id`'), 404: errorSchema('`video_not_found`') }),
      },
    })
    .patch(
      '/videos/:id',
      async ({ params, request, set }) => {
        await deps.auth.requireAdmin({ request, set })
        const id = parseId(params.id, 'video id')
        const media = mediaType(request.headers.get('content-type'))
        if (media !== 'application/json') throw unsupportedMediaType(`Content-Type ${media || '(none)'} is not accepted: send application/json`)
        const patch = parseVideoPatch(decodeUtf8(await readBody(request, MAX_PATCH_BYTES)))
        return videos.edit(id, patch)
      },
      {
        // The handler reads the body itself: after the token check, within the size limit, and
        // rejecting unknown fields (a route schema would silently drop them).
        parse: 'none',
        params: IdParams,
        detail: {
          tags: ['videos'],
          summary: 'Edit a video’s title, channel, language or category',
          description: 'Requires `Authorization: Bearer $ADMIN_TOKEN`. Returns the updated video; `updated_at` moves forward.',
          requestBody: patchRequestBody,
        },
        response: {
          200: VideoDetailSchema,
          400: errorSchema('`invalid_id`, `invalid_json`, `unknown_field`, `invalid_field`, `empty_patch`, `invalid_encoding` or `invalid_unicode`'),
          401: errorSchema('`unauthorized` (no credential) or `invalid_token` / `token_expired` / `token_revoked`'),
          403: errorSchema('`forbidden`: the caller is not an admin, or `insufficient_scope`'),
          404: errorSchema('`video_not_found`'),
          413: errorSchema(`\`payload_too_large\`: over ${MAX_PATCH_BYTES} bytes`),
          415: errorSchema('`unsupported_media_type`'),
        },
      },
    )
}
