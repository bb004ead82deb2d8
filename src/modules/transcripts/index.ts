import { Elysia, t } from 'elysia'
import type { Config } from '../../config.ts'
import { privateFor, publicFor } from '../../http/cache-policy.ts'
import { CachedGet } from '../../http/cached-get.ts'
import { ErrorSchema, badRequest } from '../../http/errors.ts'
import { documentedResponses } from '../../http/openapi.ts'
import { parseEnum, parseId } from '../../http/params.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { Identity } from '../../http/caller.ts'
import type { ExportGate } from '../../http/export-gate.ts'
import { MAX_INGEST_BYTES, ingestFormat, parseIngest } from './ingest.ts'
import { IdParams, IngestQuery, ReadErrors, ReadQuery, TranscriptSchema, TranscriptSummarySchema, fileResponses, ingestRequestBody } from './model.ts'
import { decodeUtf8, mediaType, readBody } from '../../http/request-body.ts'
import { TRANSCRIPT_SOURCES, type SourceChoice } from './queries.ts'
import type { ExportFormat, TranscriptRead, TranscriptService } from './service.ts'

// GET /videos/{id}/transcript (+ .srt, .vtt) and PUT /videos/{id}/transcript.

const SOURCE_CHOICES = ['best', ...TRANSCRIPT_SOURCES] as const

const errorSchema = (description: string) => t.Object(ErrorSchema.properties, { description })

function readChoice(rawSource: string | undefined): SourceChoice {
  return parseEnum('source', rawSource, SOURCE_CHOICES) ?? 'best'
}

const parseRead = (params: { id?: string | undefined }, query: { source?: string | undefined }): TranscriptRead => ({
  videoId: parseId(params.id ?? '', 'video id'),
  source: readChoice(query.source),
})

/** Exports become per-caller (quota-counted) with accounts: private, kept briefly by the browser only. */
const EXPORT_POLICY = privateFor(60)

export function transcriptRoutes(deps: { config: Config; transcripts: TranscriptService; exportGate: ExportGate; auth: Identity }) {
  const { transcripts } = deps
  /** Signed-in callers only, charged against the export quota (src/modules/events/export-quota.ts). */
  const exportHandler = (format: ExportFormat) => (ctx: { params: { id: string }; query: { source?: string }; request: Request; set: { headers: Record<string, unknown> } }) =>
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
      params: IdParams,
      query: ReadQuery,
      detail: {
        tags: ['transcripts'],
        summary: 'A video’s transcript',
        description: 'All segments in order. `source=best` (default) takes whisper when present, else YouTube captions.',
        responses: documentedResponses({ 200: TranscriptSchema, ...ReadErrors }),
      },
    })
    .get(
      '/videos/:id/transcript.srt',
      exportHandler('srt'),
      {
        cachePolicy: EXPORT_POLICY,
        params: IdParams,
        query: ReadQuery,
        detail: {
          tags: ['transcripts'],
          summary: 'A video’s transcript as SubRip (.srt)',
          description: 'Cues numbered from 1 with `HH:MM:SS,mmm` timings; downloaded as `<youtube_id>.<source>.srt`. Needs a signed-in caller (`export` scope); each download counts against the free plan’s daily export quota.',
          responses: fileResponses('application/x-subrip', 'SubRip subtitles'),
        },
      },
    )
    .get(
      '/videos/:id/transcript.vtt',
      exportHandler('vtt'),
      {
        cachePolicy: EXPORT_POLICY,
        params: IdParams,
        query: ReadQuery,
        detail: {
          tags: ['transcripts'],
          summary: 'A video’s transcript as WebVTT (.vtt)',
          description:
            'Numbered cues with `HH:MM:SS.mmm` timings, `&`, `<` and `>` escaped, speakers as voice spans; downloaded as `<youtube_id>.<source>.vtt`. Needs a signed-in caller (`export` scope); each download counts against the free plan’s daily export quota.',
          responses: fileResponses('text/vtt', 'WebVTT subtitles'),
        },
      },
    )
    .put(
      '/videos/:id/transcript',
      async ({ params, query, request, set }) => {
        await deps.auth.requireAdmin({ request, set })
        const id = parseId(params.id, 'video id')
        const source = parseEnum('source', query.source, TRANSCRIPT_SOURCES)
        if (!source) throw badRequest('invalid_source', 'source is required: whisper or youtube')
        const format = ingestFormat(mediaType(request.headers.get('content-type')))
        const body = decodeUtf8(await readBody(request, MAX_INGEST_BYTES))
        const input = parseIngest(format, body, query)
        return transcripts.replace(id, source, input)
      },
      {
        // The handler reads the body itself: after the token check, and within the size limit.
        parse: 'none',
        params: IdParams,
        query: t.Partial(IngestQuery),
        detail: {
          tags: ['transcripts'],
          summary: 'Replace a video’s transcript from one source',
          description:
            'Requires `Authorization: Bearer $ADMIN_TOKEN`. Takes JSON segments, WebVTT (`text/vtt`) or SubRip (`application/x-subrip`) and replaces the `source` transcript atomically: readers see the old transcript or the new one, whole.',
          requestBody: ingestRequestBody,
        },
        response: {
          200: TranscriptSummarySchema,
          400: errorSchema('`invalid_id`, `invalid_source`, `invalid_json`, `invalid_vtt`, `invalid_srt`, `invalid_segments`, `invalid_encoding`, `invalid_unicode`, `invalid_language` or `invalid_model`; the message names the line or segment'),
          401: errorSchema('`unauthorized` (no credential) or `invalid_token` / `token_expired` / `token_revoked`'),
          403: errorSchema('`forbidden`: the caller is not an admin, or `insufficient_scope`'),
          404: errorSchema('`video_not_found`'),
          413: errorSchema(`\`payload_too_large\`: over ${MAX_INGEST_BYTES} bytes or too many segments`),
          415: errorSchema('`unsupported_media_type`'),
        },
      },
    )
}
