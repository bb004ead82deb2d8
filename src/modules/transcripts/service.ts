import { afterTranscriptReplaced, CacheType, transcriptScope, videoScope } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { cachedResponse, type ResponseRequest } from '../../http/cached-response.ts'
import { ReadyResponse, type CacheResult } from '../../http/ready-response.ts'
import type { TranscriptSource } from '../../http/transcript-sources.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { NotFound } from '../../platform/domain-errors.ts'
import { toSrt } from './formats/srt.ts'
import { toVtt } from './formats/vtt.ts'
import { readTranscript, replaceTranscript, type SourceChoice, type StoredTranscript, type TranscriptInput } from './queries.ts'

// The transcripts' rules. Reads go through the two-tier cache: the JSON and each export are cached
// as their own ready responses; all of them depend on the video and its transcripts, so an ingest
// or a finished job (afterTranscriptReplaced) drops them together.

export type ExportFormat = 'srt' | 'vtt'

/** A transcript read: the video and which source. */
export interface TranscriptRead {
  videoId: string
  source: SourceChoice
}

const EXPORTS: Record<ExportFormat, { contentType: string; render: (t: StoredTranscript) => string }> = {
  srt: { contentType: 'application/x-subrip; charset=utf-8', render: (t) => toSrt(t.segments) },
  vtt: { contentType: 'text/vtt; charset=utf-8', render: (t) => toVtt(t.segments) },
}

/** `<youtube_id>.<source>.<ext>`, limited to characters that need no quoting in the header. */
function downloadName(t: StoredTranscript, ext: ExportFormat): string {
  return `${t.youtube_id.replace(/[^A-Za-z0-9_-]/g, '_')}.${t.source}.${ext}`
}

const scopesOf = (id: string) => [videoScope(id), transcriptScope(id)]

export function createTranscriptService(deps: { sql: Sql; cache: TieredCache; config: Config; timed: Timed }) {
  const { sql, cache, config, timed } = deps

  async function find(id: string, choice: SourceChoice): Promise<StoredTranscript> {
    const found = await timed('transcript_read', () => readTranscript(sql, id, choice), [id, choice])
    if (found.found === 'video_not_found') throw new NotFound('video_not_found', `no video with id ${id}`)
    if (found.found === 'not_ready') {
      const which = choice === 'best' ? 'no transcript' : `no ${choice} transcript`
      throw new NotFound('transcript_not_ready', `video ${id} has ${which} yet`)
    }
    return found.transcript
  }

  const transcriptRequest = ({ videoId, source }: TranscriptRead): ResponseRequest => ({
    type: CacheType.transcript,
    key: `${videoId}:${source}`,
    scopes: scopesOf(videoId),
    ttlSeconds: config.CACHE_TRANSCRIPT_TTL,
  })

  return {
    transcriptRequest,
    transcript(read: TranscriptRead): Promise<CacheResult> {
      return cachedResponse(cache, transcriptRequest(read), async () => {
        const tr = await find(read.videoId, read.source)
        return { ...tr, created_at: tr.created_at.toISOString() }
      })
    },
    /** The export file, shared by every caller allowed to download it (quotas are the route's to check). */
    export({ videoId, source }: TranscriptRead, format: ExportFormat): Promise<CacheResult> {
      return cachedResponse(
        cache,
        { type: CacheType.transcriptExport, key: `${videoId}:${source}:${format}`, scopes: scopesOf(videoId), ttlSeconds: config.CACHE_TRANSCRIPT_TTL },
        async () => {
          const tr = await find(videoId, source)
          const { contentType, render } = EXPORTS[format]
          return ReadyResponse.text(render(tr), contentType, { 'content-disposition': `attachment; filename="${downloadName(tr, format)}"` })
        },
      )
    },
    /** Replaces one source's transcript atomically, then drops every cached copy that showed it. */
    async replace(videoId: string, source: TranscriptSource, input: TranscriptInput) {
      const summary = await timed('transcript_replace', () => replaceTranscript(sql, videoId, source, input), [videoId, source])
      if (!summary) throw new NotFound('video_not_found', `no video with id ${videoId}`)
      await cache.invalidate(afterTranscriptReplaced(videoId))
      return { ...summary, created_at: summary.created_at.toISOString() }
    },
  }
}

export type TranscriptService = ReturnType<typeof createTranscriptService>
