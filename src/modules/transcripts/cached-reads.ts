import { CacheType, transcriptScope, videoScope } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { cachedResponse } from '../../http/cached-response.ts'
import { notFound } from '../../http/errors.ts'
import { ReadyResponse, type CacheResult } from '../../http/ready-response.ts'
import type { Sql } from '../../platform/db.ts'
import { timed } from '../../platform/db-metrics.ts'
import { toSrt } from './formats/srt.ts'
import { toVtt } from './formats/vtt.ts'
import { readTranscript, type SourceChoice, type StoredTranscript } from './service.ts'

// Transcript reads through the two-tier cache. The JSON and each export are cached as their own
// ready responses; all of them depend on the video and its transcripts, so an ingest or a
// finished job (afterTranscriptReplaced) drops them together.

interface Deps {
  sql: Sql
  cache: TieredCache
  config: Config
}

async function findTranscript(sql: Sql, id: string, choice: SourceChoice): Promise<StoredTranscript> {
  const found = await timed('transcript_read', () => readTranscript(sql, id, choice), [id, choice])
  if (found.found === 'video_not_found') throw notFound('video_not_found', `no video with id ${id}`)
  if (found.found === 'not_ready') {
    const which = choice === 'best' ? 'no transcript' : `no ${choice} transcript`
    throw notFound('transcript_not_ready', `video ${id} has ${which} yet`)
  }
  return found.transcript
}

const scopesOf = (id: string) => [videoScope(id), transcriptScope(id)]

export function cachedTranscript(deps: Deps, id: string, choice: SourceChoice): Promise<CacheResult> {
  return cachedResponse(
    deps.cache,
    { type: CacheType.transcript, key: `${id}:${choice}`, scopes: scopesOf(id), ttlSeconds: deps.config.CACHE_TRANSCRIPT_TTL },
    async () => {
      const tr = await findTranscript(deps.sql, id, choice)
      return { ...tr, created_at: tr.created_at.toISOString() }
    },
  )
}

export type ExportFormat = 'srt' | 'vtt'

const EXPORTS: Record<ExportFormat, { contentType: string; render: (t: StoredTranscript) => string }> = {
  srt: { contentType: 'application/x-subrip; charset=utf-8', render: (t) => toSrt(t.segments) },
  vtt: { contentType: 'text/vtt; charset=utf-8', render: (t) => toVtt(t.segments) },
}

/** `<youtube_id>.<source>.<ext>`, limited to characters that need no quoting in the header. */
function downloadName(t: StoredTranscript, ext: ExportFormat): string {
  return `${t.youtube_id.replace(/[^A-Za-z0-9_-]/g, '_')}.${t.source}.${ext}`
}

export function cachedExport(deps: Deps, id: string, choice: SourceChoice, format: ExportFormat): Promise<CacheResult> {
  return cachedResponse(
    deps.cache,
    { type: CacheType.transcriptExport, key: `${id}:${choice}:${format}`, scopes: scopesOf(id), ttlSeconds: deps.config.CACHE_TRANSCRIPT_TTL },
    async () => {
      const tr = await findTranscript(deps.sql, id, choice)
      const { contentType, render } = EXPORTS[format]
      return ReadyResponse.text(render(tr), contentType, { 'content-disposition': `attachment; filename="${downloadName(tr, format)}"` })
    },
  )
}
