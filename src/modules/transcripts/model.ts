import { t } from 'elysia'
import { ErrorSchema } from '../../http/errors.ts'
import { MAX_SEGMENTS } from './formats/validate.ts'
import { MAX_INGEST_BYTES } from './ingest.ts'

// OpenAPI schemas of the transcript routes. Query parameters are plain optional strings: the
// handlers validate them, so a bad value gets its specific error code (e.g. `invalid_source`).

export const IdParams = t.Object({
  id: t.String({ description: 'Video id (UUID)', examples: ['5f0c6c1e-8d5a-4f7e-9a43-2b1f0b6c9d10'] }),
})

export const ReadQuery = t.Object({
  source: t.Optional(
    t.String({
      enum: ['best', 'whisper', 'youtube'],
      description: '`best` (default) takes the whisper transcript when there is one, else YouTube captions',
      examples: ['best'],
    }),
  ),
})

export const IngestQuery = t.Object({
  source: t.String({ enum: ['whisper', 'youtube'], description: 'Required: which transcript of the video to replace', examples: ['whisper'] }),
  language: t.Optional(t.String({ description: 'BCP 47 language tag (a JSON body’s own `language` wins)', examples: ['en'] })),
  model: t.Optional(t.String({ description: 'Model that produced the transcript (a JSON body’s own `model` wins)', examples: ['whisper-large-v3'] })),
})

const Segment = t.Object(
  {
    idx: t.Integer({ description: 'Position in the transcript, from 0', examples: [0] }),
    start_ms: t.Integer({ examples: [1200] }),
    end_ms: t.Integer({ examples: [3400] }),
    text: t.String({ examples: ['Welcome back to the channel.'] }),
    speaker_label: t.Nullable(t.String({ examples: ['SPEAKER_00'] })),
  },
  { title: 'Segment' },
)

export const TranscriptSchema = t.Object(
  {
    video_id: t.String({ format: 'uuid' }),
    youtube_id: t.String({ examples: ['dQw4w9WgXcQ'] }),
    transcript_id: t.String({ format: 'uuid' }),
    source: t.UnionEnum(['whisper', 'youtube']),
    language: t.Nullable(t.String({ examples: ['en'] })),
    model: t.Nullable(t.String({ examples: ['whisper-large-v3'] })),
    created_at: t.String({ format: 'date-time' }),
    segments: t.Array(Segment),
  },
  { title: 'Transcript' },
)

export const TranscriptSummarySchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    video_id: t.String({ format: 'uuid' }),
    source: t.UnionEnum(['whisper', 'youtube']),
    language: t.Nullable(t.String({ examples: ['en'] })),
    model: t.Nullable(t.String({ examples: ['whisper-large-v3'] })),
    segment_count: t.Integer({ examples: [412] }),
    created_at: t.String({ format: 'date-time' }),
    replaced: t.Boolean({ description: 'true when an earlier transcript from this source was replaced' }),
  },
  { title: 'TranscriptSummary' },
)

const JsonIngestBody = t.Object(
  {
    language: t.Optional(t.Nullable(t.String({ examples: ['en'] }))),
    model: t.Optional(t.Nullable(t.String({ examples: ['whisper-large-v3'] }))),
    segments: t.Array(
      t.Object({
        start_ms: t.Integer({ minimum: 0, examples: [0] }),
        end_ms: t.Integer({ minimum: 0, examples: [2500] }),
        text: t.String({ minLength: 1, examples: ['Hello and welcome.'] }),
        speaker_label: t.Optional(t.Nullable(t.String({ examples: ['SPEAKER_00'] }))),
        confidence: t.Optional(t.Nullable(t.Number({ minimum: 0, maximum: 1, examples: [0.93] }))),
      }),
      { maxItems: MAX_SEGMENTS },
    ),
  },
  { title: 'TranscriptIngest', additionalProperties: false },
)

const VTT_EXAMPLE = 'WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n<v SPEAKER_00>Hello and welcome.\n'
const SRT_EXAMPLE = '1\n00:00:00,000 --> 00:00:02,500\nHello and welcome.\n'

/** Documented by hand: the route reads its own body (see request-body.ts), so Elysia does not. */
export const ingestRequestBody = {
  required: true,
  description: `At most ${MAX_INGEST_BYTES} bytes and ${MAX_SEGMENTS} segments, UTF-8. Segments must be in order and must not overlap.`,
  content: {
    'application/json': { schema: JsonIngestBody as unknown as Record<string, unknown> },
    'text/vtt': { schema: { type: 'string' as const, example: VTT_EXAMPLE } },
    'application/x-subrip': { schema: { type: 'string' as const, example: SRT_EXAMPLE } },
  },
}

const READ_ERRORS = {
  400: '`invalid_id` or `invalid_source`',
  404: '`video_not_found`, or `transcript_not_ready` when no transcript exists yet',
}

/**
 * All responses of an export route, by hand: when a route declares `response`, the OpenAPI plugin
 * documents only those (as JSON), and a file download's 200 is not JSON.
 */
export const fileResponses = (contentType: string, what: string) => ({
  200: {
    description: `${what}, served as an attachment named <youtube_id>.<source>.<ext>`,
    content: { [contentType]: { schema: { type: 'string' as const } } },
  },
  400: { description: READ_ERRORS[400], content: { 'application/json': { schema: ErrorSchema as unknown as Record<string, unknown> } } },
  401: {
    description: '`unauthorized` (exports need a signed-in caller), `invalid_token`, `token_expired` or `token_revoked`',
    content: { 'application/json': { schema: ErrorSchema as unknown as Record<string, unknown> } },
  },
  402: {
    description: '`quota_exceeded`: the free plan’s daily export limit (FREE_DAILY_EXPORT_LIMIT, UTC day) is used up',
    content: { 'application/json': { schema: ErrorSchema as unknown as Record<string, unknown> } },
  },
  404: { description: READ_ERRORS[404], content: { 'application/json': { schema: ErrorSchema as unknown as Record<string, unknown> } } },
})

export const ReadErrors = {
  400: t.Object(ErrorSchema.properties, { description: READ_ERRORS[400] }),
  404: t.Object(ErrorSchema.properties, { description: READ_ERRORS[404] }),
}
