import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { OneOf } from '../../http/one-of.ts'
import type { RawResponse } from '../../http/openapi-operation.ts'
import { TRANSCRIPT_SOURCES } from '../../http/transcript-sources.ts'
import { MAX_SEGMENTS } from './formats/validate.ts'

// The transcript routes' schemas: their OpenAPI components and the query rules. A PUT body is read
// by its own format parsers (src/modules/transcripts/formats/), whose rules the JSON schema shows.

export const IdParams = t.Object({
  id: t.String({ format: 'uuid', description: 'Video id (UUID)', examples: ['5f0c6c1e-8d5a-4f7e-9a43-2b1f0b6c9d10'] }),
})

export const ReadQuery = t.Object({
  source: t.Optional(
    OneOf(['best', ...TRANSCRIPT_SOURCES], {
      default: 'best',
      description: '`best` (default) takes the whisper transcript when there is one, else YouTube captions',
      examples: ['best'],
    }),
  ),
})

export const IngestQuery = t.Object({
  source: OneOf(TRANSCRIPT_SOURCES, { description: 'Required: which transcript of the video to replace', examples: ['whisper'] }),
  language: t.Optional(t.String({ description: 'BCP 47 language tag (a JSON body’s own `language` wins)', examples: ['en'] })),
  model: t.Optional(t.String({ description: 'Model that produced the transcript (a JSON body’s own `model` wins)', examples: ['whisper-large-v3'] })),
})

const Segment = t.Object(
  {
    idx: Type.Integer({ description: 'Position in the transcript, from 0', examples: [0] }),
    start_ms: Type.Integer({ examples: [1200] }),
    end_ms: Type.Integer({ examples: [3400] }),
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
    source: OneOf(TRANSCRIPT_SOURCES),
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
    source: OneOf(TRANSCRIPT_SOURCES),
    language: t.Nullable(t.String({ examples: ['en'] })),
    model: t.Nullable(t.String({ examples: ['whisper-large-v3'] })),
    segment_count: Type.Integer({ examples: [412] }),
    created_at: t.String({ format: 'date-time' }),
    replaced: t.Boolean({ description: 'true when an earlier transcript from this source was replaced' }),
  },
  { title: 'TranscriptSummary' },
)

export const JsonIngestBody = t.Object(
  {
    language: t.Optional(t.Nullable(t.String({ examples: ['en'] }))),
    model: t.Optional(t.Nullable(t.String({ examples: ['whisper-large-v3'] }))),
    segments: t.Array(
      t.Object({
        start_ms: Type.Integer({ minimum: 0, examples: [0] }),
        end_ms: Type.Integer({ minimum: 0, examples: [2500] }),
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

/** The further media types PUT reads, beside the JSON of JsonIngestBody. */
export const INGEST_TEXT_MEDIA = {
  'text/vtt': { schema: { type: 'string' as const, examples: [VTT_EXAMPLE] } },
  'application/x-subrip': { schema: { type: 'string' as const, examples: [SRT_EXAMPLE] } },
}

/** The 200 of an export: a file, not JSON. */
export const fileResponse = (contentType: string, what: string): RawResponse => ({
  description: `${what}, served as an attachment named <youtube_id>.<source>.<ext>`,
  content: { [contentType]: { schema: { type: 'string' } } },
})

export const READ_ERRORS = { 400: ['invalid_id', 'invalid_source'], 404: ['video_not_found', 'transcript_not_ready'] }
