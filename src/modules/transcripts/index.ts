import { Elysia, t } from 'elysia'
import { afterTranscriptReplaced } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { badRequest, notFound } from '../../http/errors.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import { queryParser } from '../../http/validate.ts'
import type { Sql } from '../../platform/db.ts'
import { timed } from '../../platform/db-metrics.ts'
import type { Auth } from '../auth/identity.ts'
import type { ExportGate } from '../events/export-quota.ts'
import { cachedExport, cachedTranscript, type ExportFormat } from './cached-reads.ts'
import { MAX_INGEST_BYTES, ingestFormat, parseIngest } from './ingest.ts'
import { MAX_SEGMENTS } from './formats/validate.ts'
import { IdParams, INGEST_TEXT_MEDIA, IngestQuery, JsonIngestBody, READ_ERRORS, ReadQuery, TranscriptSchema, TranscriptSummarySchema, fileResponse } from './model.ts'
import { decodeUtf8, mediaType, readBody } from '../../http/request-body.ts'
import { replaceTranscript, type SourceChoice } from './service.ts'

// GET /videos/{id}/transcript (+ .srt, .vtt) and PUT /videos/{id}/transcript.

const parseReadQuery = queryParser(ReadQuery)
const parseIngestQuery = queryParser(t.Partial(IngestQuery))

const readChoice = (query: Record<string, string | undefined>): SourceChoice => parseReadQuery(query).source ?? 'best'

const EXPORT_ERRORS = { ...READ_ERRORS, 402: ['quota_exceeded'] }
const exportNote = 'Needs a signed-in caller (`export` scope); each download counts against the free plan’s daily export quota (402 `quota_exceeded` once it is used up).'

export function transcriptRoutes(deps: { config: Config; sql: Sql; cache: TieredCache; exportGate: ExportGate; auth: Auth }) {
  const { sql } = deps
  /** Signed-in callers only, charged against the export quota (src/modules/events/export-quota.ts). */
  const exportHandler = (format: ExportFormat) => (ctx: { params: { id: string }; query: Record<string, string | undefined>; request: Request; set: { headers: Record<string, unknown> } }) =>
    deps.exportGate(
      ctx,
      () => ({ videoId: parseId(ctx.params.id, 'video id'), format, source: readChoice(ctx.query) }),
      (e) => cachedExport(deps, e.videoId, e.source, format),
    )
  return new Elysia({ name: 'transcripts' })
    .get(
      '/videos/:id/transcript',
      ({ params, query }) => cachedTranscript(deps, parseId(params.id, 'video id'), readChoice(query)),
      {
        detail: operation({
          tags: ['transcripts'],
          summary: 'A video’s transcript',
          description: 'All segments in order. `source=best` (default) takes whisper when present, else YouTube captions.',
          params: IdParams,
          query: ReadQuery,
          ok: { 200: TranscriptSchema },
          errors: READ_ERRORS,
        }),
      },
    )
    .get(
      '/videos/:id/transcript.srt',
      exportHandler('srt'),
      {
        detail: operation({
          tags: ['transcripts'],
          summary: 'A video’s transcript as SubRip (.srt)',
          description: `Cues numbered from 1 with \`HH:MM:SS,mmm\` timings; downloaded as \`<youtube_id>.<source>.srt\`. ${exportNote}`,
          access: 'user',
          params: IdParams,
          query: ReadQuery,
          ok: { 200: fileResponse('application/x-subrip', 'SubRip subtitles') },
          errors: EXPORT_ERRORS,
        }),
      },
    )
    .get(
      '/videos/:id/transcript.vtt',
      exportHandler('vtt'),
      {
        detail: operation({
          tags: ['transcripts'],
          summary: 'A video’s transcript as WebVTT (.vtt)',
          description: `Numbered cues with \`HH:MM:SS.mmm\` timings, \`&\`, \`<\` and \`>\` escaped, speakers as voice spans; downloaded as \`<youtube_id>.<source>.vtt\`. ${exportNote}`,
          access: 'user',
          params: IdParams,
          query: ReadQuery,
          ok: { 200: fileResponse('text/vtt', 'WebVTT subtitles') },
          errors: EXPORT_ERRORS,
        }),
      },
    )
    .put(
      '/videos/:id/transcript',
      async ({ params, query, request, set }) => {
        await deps.auth.requireAdmin({ request, set })
        const id = parseId(params.id, 'video id')
        const q = parseIngestQuery(query)
        const source = q.source
        if (!source) throw badRequest('invalid_source', 'source is required: whisper or youtube')
        const format = ingestFormat(mediaType(request.headers.get('content-type')))
        const body = decodeUtf8(await readBody(request, MAX_INGEST_BYTES))
        const input = parseIngest(format, body, q)
        const summary = await timed('transcript_replace', () => replaceTranscript(sql, id, source, input), [id, source])
        if (!summary) throw notFound('video_not_found', `no video with id ${id}`)
        await deps.cache.invalidate(afterTranscriptReplaced(id))
        return { ...summary, created_at: summary.created_at.toISOString() }
      },
      {
        // The handler reads the body itself: after the token check, and within the size limit.
        parse: 'none',
        detail: operation({
          tags: ['transcripts'],
          summary: 'Replace a video’s transcript from one source',
          description:
            'Needs an admin. Takes JSON segments, WebVTT (`text/vtt`) or SubRip (`application/x-subrip`) and replaces the `source` transcript atomically: readers see the old transcript or the new one, whole. Errors name the line or segment.',
          access: 'admin',
          params: IdParams,
          query: IngestQuery,
          body: {
            schema: JsonIngestBody,
            maxBytes: MAX_INGEST_BYTES,
            description: `At most ${MAX_INGEST_BYTES} bytes and ${MAX_SEGMENTS} segments, UTF-8. Segments must be in order and must not overlap.`,
            media: INGEST_TEXT_MEDIA,
            // Its own format parsers (src/modules/transcripts/formats/) name what is wrong in the file.
            codes: ['invalid_json', 'invalid_vtt', 'invalid_srt', 'invalid_segments', 'invalid_encoding', 'invalid_unicode'],
          },
          ok: { 200: TranscriptSummarySchema },
          errors: { 400: ['invalid_id', 'invalid_source', 'invalid_language', 'invalid_model'], 404: ['video_not_found'] },
        }),
      },
    )
}
