import { afterVideoEdited, CacheType, videoScope } from '../../cache/scopes.ts'
import type { FillReads } from '../../cache/replica-reads.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { cachedResponse, type ResponseRequest } from '../../http/cached-response.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { toPage } from '../../http/pagination.ts'
import type { CacheResult } from '../../http/ready-response.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { NotFound } from '../../platform/domain-errors.ts'
import { toVideo, toVideoDetail } from './present.ts'
import type { VideoPatch } from './model.ts'
import { getVideo, listVideos, updateVideo, type ListVideosInput } from './queries.ts'

// The videos' rules: reads go through the two-tier cache (what is cached is the ready response),
// queries are timed under fixed names, and an edit invalidates what showed the video.

export interface VideoServiceDeps {
  sql: Sql
  cache: TieredCache
  /** Where cache fills query (a read replica when causally safe); edits use `sql`, the primary. */
  reads: FillReads
  config: Config
  cursors: CursorCodec
  timed: Timed
}

/** A list page: the validated input and its cursor scope (the sort and filters). */
export interface VideoListRead {
  input: ListVideosInput
  scope: string
}

const videoNotFound = (id: string) => new NotFound('video_not_found', `no video with id ${id}`)

export function createVideoService(deps: VideoServiceDeps) {
  const { sql, cache, reads, config, timed } = deps
  const getRequest = (id: string): ResponseRequest => ({ type: CacheType.video, key: id, scopes: [videoScope(id)], ttlSeconds: config.CACHE_VIDEO_TTL })
  /** `scope` already names the sort and filters; the page position and size complete the key. */
  const listRequest = ({ input, scope }: VideoListRead): ResponseRequest => ({
    type: CacheType.videoList,
    key: `${scope}|${input.limit}|${input.after ? `${input.after.key}|${input.after.id}` : ''}`,
    scopes: [],
    ttlSeconds: config.CACHE_DEFAULT_TTL,
  })
  return {
    getRequest,
    listRequest,
    get(id: string): Promise<CacheResult> {
      return cachedResponse(cache, getRequest(id), async (fill) => {
        const video = await timed('video_get', () => reads.run(fill, (db) => getVideo(db, id)), [id])
        if (!video) throw videoNotFound(id)
        return toVideoDetail(video)
      })
    },
    list(read: VideoListRead): Promise<CacheResult> {
      const { input, scope } = read
      return cachedResponse(cache, listRequest(read), async (fill) => {
        const rows = await timed('video_list', () => reads.run(fill, (db) => listVideos(db, input)), [scope, input.after])
        return toPage(deps.cursors, rows, input.limit, scope, (r) => [r.sort_key, r.id], toVideo)
      })
    },
    /** Applies a validated patch; every cached copy showing the video is dropped before it returns. */
    async edit(id: string, patch: VideoPatch) {
      const video = await timed('video_update', () => updateVideo(sql, id, patch), [id, patch])
      if (!video) throw videoNotFound(id)
      await cache.invalidate(afterVideoEdited(id))
      return toVideoDetail(video)
    },
  }
}

export type VideoService = ReturnType<typeof createVideoService>
