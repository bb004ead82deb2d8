import { Elysia, t } from 'elysia'
import type { Config } from '../../config.ts'
import type { Identity } from '../../http/caller.ts'
import { privateFor, publicFor } from '../../http/cache-policy.ts'
import { CachedGet } from '../../http/cached-get.ts'
import { badRequest } from '../../http/errors.ts'
import type { ExportGate } from '../../http/export-gate.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import { routeOptions } from '../../http/route-options.ts'
import { queryParser } from '../../http/validate.ts'
import { MAX_INGEST_BYTES, ingestFormat, parseIngest } from './ingest.ts'
import { MAX_SEGMENTS } from './formats/validate.ts'
import { IdParams, INGEST_TEXT_MEDIA, IngestQuery, JsonIngestBody, READ_ERRORS, ReadQuery, TranscriptSchema, TranscriptSummarySchema, fileResponse } from './model.ts'
import { decodeUtf8, mediaType, readBody } from '../../http/request-body.ts'
import type { SourceChoice } from './queries.ts'
import type { ExportFormat, TranscriptRead, TranscriptService } from './service.ts'

// GET /videos/{id}/transcript (+ .srt, .vtt) and PUT /videos/{id}/transcript.

const parseReadQuery = queryParser(ReadQuery)
const parseIngestQuery = queryParser(t.Partial(IngestQuery))

const readChoice = (query: Record<string, string | undefined>): SourceChoice => parseReadQuery(query).source ?? 'best'

const EXPORT_ERRORS = { ...READ_ERRORS, 402: ['quota_exceeded'] }
const exportNote = 'Needs a signed-in caller (`export` scope); each download counts against the free plan’s daily export quota (402 `quota_exceeded` once it is used up).'

const parseRead = (params: { id?: string | undefined }, query: Record<string, string | undefined>): TranscriptRead => ({
  videoId: parseId(params.id ?? '', 'video id'),
  source: readChoice(query),
})

/** Exports become per-caller (quota-counted) with accounts: private, kept briefly by the browser only. */
const EXPORT_POLICY = privateFor(60)

export function transcriptRoutes(deps: { config: Config; transcripts: TranscriptService; exportGate: ExportGate; auth: Identity }) {
  const { transcripts } = deps
  /** Signed-in callers only, charged against the export quota (src/modules/events/export-quota.ts). */
  const exportHandler = (format: ExportFormat) => (ctx: { params: { id: string }; query: Record<string, string | undefined>; request: Request; set: { headers: Record<string, unknown> } }) =>
    deps.exportGate(
      ctx,
      () => ({ ...parseRead(ctx.params, ctx.query), format }),
      (e) => transcripts.export(e, format),
    )
  const read = CachedGet.declare({
    template: '/videos/:id/transcript',
    policy: publicFor(deps.config.CACHE_TRANSCRIPT_TTL, 300),
    parse: ({ params, query }) => parseRead(params, query),
    cacheRequest: transcripts.transcriptRequest,
    read: transcripts.transcript,
  })
  return new Elysia({ name: 'transcripts' })
    .use(routeOptions())
    .get(read.template, read.handle, {
      cached: read,
      detail: operation({
        tags: ['transcripts'],
        summary: 'A video’s transcript',
        description: 'All segments in order. `source=best` (default) takes whisper when present, else YouTube captions.',
        params: IdParams,
        query: ReadQuery,
        ok: { 200: TranscriptSchema },
        errors: READ_ERRORS,
      }),
    })
    .get(
      '/videos/:id/transcript.srt',
      exportHandler('srt'),
      {
        cachePolicy: EXPORT_POLICY,
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
        cachePolicy: EXPORT_POLICY,
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
        return transcripts.replace(id, source, input)
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
