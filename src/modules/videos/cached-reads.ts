import { CacheType, videoScope } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { cachedResponse } from '../../http/cached-response.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { notFound } from '../../http/errors.ts'
import type { CacheResult } from '../../http/ready-response.ts'
import { toPage } from '../../http/pagination.ts'
import type { Sql } from '../../platform/db.ts'
import { timed } from '../../platform/db-metrics.ts'
import { toVideo, toVideoDetail } from './present.ts'
import { getVideo, listVideos, type ListVideosInput } from './service.ts'

// The video reads through the two-tier cache: what is cached is the ready response.

interface Deps {
  sql: Sql
  cache: TieredCache
  config: Config
}

export function cachedVideo(deps: Deps, id: string): Promise<CacheResult> {
  return cachedResponse(deps.cache, { type: CacheType.video, key: id, scopes: [videoScope(id)], ttlSeconds: deps.config.CACHE_VIDEO_TTL }, async () => {
    const video = await timed('video_get', () => getVideo(deps.sql, id), [id])
    if (!video) throw notFound('video_not_found', `no video with id ${id}`)
    return toVideoDetail(video)
  })
}

/** `scope` already names the sort and filters; the page position and size complete the key. */
export function cachedVideoList(deps: Deps & { cursors: CursorCodec }, input: ListVideosInput, scope: string): Promise<CacheResult> {
  const key = `${scope}|${input.limit}|${input.after ? `${input.after.key}|${input.after.id}` : ''}`
  return cachedResponse(deps.cache, { type: CacheType.videoList, key, scopes: [], ttlSeconds: deps.config.CACHE_DEFAULT_TTL }, async () => {
    const rows = await timed('video_list', () => listVideos(deps.sql, input), [scope, input.after])
    return toPage(deps.cursors, rows, input.limit, scope, (r) => [r.sort_key, r.id], toVideo)
  })
}
