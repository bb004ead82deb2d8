import { type Static, Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { OneOf } from '../../http/one-of.ts'
import { PageSchema } from '../../http/pagination.ts'
import { Text } from '../../http/text.ts'
import { TRANSCRIPT_SOURCES } from '../../http/transcript-sources.ts'

// The video routes' schemas: the single source of their validation (src/http/validate.ts), their
// types (`Static`) and their OpenAPI components.

export const VIDEO_STATES = ['pending', 'downloading', 'transcoding', 'transcribing', 'diarizing', 'persisting', 'completed', 'failed'] as const
export const VIDEO_SORTS = ['created_at', 'uploaded_at'] as const

export const DEFAULT_LIMIT = 20
export const MAX_LIMIT = 100
export const MAX_FILTER_CHARS = 200
export const MAX_PATCH_BYTES = 16 * 1024

export const IdParams = t.Object({
  id: t.String({ format: 'uuid', description: 'Video id (UUID)', examples: ['5f0c6c1e-8d5a-4f7e-9a43-2b1f0b6c9d10'] }),
})

/** A free-text list filter: one rule for every such value (src/http/text.ts). */
export const FILTER_RULE = { maxLength: MAX_FILTER_CHARS }
const filter = (description: string, examples: string[]) => t.Optional(Text(FILTER_RULE, { description, examples }))

export const ListQuery = t.Object({
  sort: t.Optional(
    OneOf(VIDEO_SORTS, {
      default: 'created_at',
      description: '`created_at` (default): newest added first. `uploaded_at`: newest on YouTube first; videos without an upload date come last.',
      examples: ['created_at'],
    }),
  ),
  channel: filter('Exact channel name', ['Veritasium']),
  language: filter('Language tag', ['en']),
  category: filter('Category', ['Education']),
  state: t.Optional(OneOf(VIDEO_STATES, { description: 'Processing state', examples: ['completed'] })),
  limit: t.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `1..${MAX_LIMIT}, default ${DEFAULT_LIMIT}` })),
  cursor: t.Optional(t.String({ description: '`page_info.next_cursor` of the previous page (only valid with the same sort and filters)' })),
})

const nullableString = (example: string) => t.Nullable(t.String({ examples: [example] }))

const videoFields = {
  id: t.String({ format: 'uuid', examples: ['5f0c6c1e-8d5a-4f7e-9a43-2b1f0b6c9d10'] }),
  job_id: t.Nullable(t.String({ format: 'uuid' })),
  youtube_id: t.String({ examples: ['dQw4w9WgXcQ'] }),
  title: nullableString('How transcription works'),
  channel_name: nullableString('Veritasium'),
  language: nullableString('en'),
  category: nullableString('Education'),
  duration_seconds: t.Nullable(Type.Integer({ examples: [754] })),
  thumbnail_url: nullableString('https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg'),
  uploaded_at: t.Nullable(t.String({ format: 'date-time', description: 'When the video was published on YouTube, if known' })),
  state: OneOf(VIDEO_STATES),
  error: t.Nullable(t.String({ description: 'Why processing failed, when state is failed' })),
  created_at: t.String({ format: 'date-time' }),
  updated_at: t.String({ format: 'date-time' }),
}

export const VideoSchema = t.Object(videoFields, { title: 'Video' })

export const VideoDetailSchema = t.Object(
  {
    ...videoFields,
    transcript_sources: t.Array(OneOf(TRANSCRIPT_SOURCES), {
      description: 'Which transcripts exist for the video',
      examples: [['whisper', 'youtube']],
    }),
  },
  { title: 'VideoDetail' },
)

export const VideoPageSchema = PageSchema(VideoSchema, 'VideoPage')

const LANGUAGE_TAG = '^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$'
/** Strings are trimmed after these checks; null clears the field. */
const editable = (maxLength: number, examples: string[]) => t.Optional(t.Nullable(Text({ maxLength, nonBlank: true }, { examples })))

export const VideoPatchSchema = t.Object(
  {
    title: editable(500, ['A better title']),
    channel_name: editable(200, ['Veritasium']),
    language: t.Optional(
      t.Nullable(t.String({ maxLength: 35, pattern: LANGUAGE_TAG, mustBe: 'a BCP 47 tag such as "en" or "pt-BR"', examples: ['en'] })),
    ),
    category: editable(100, ['Science']),
  },
  { title: 'VideoPatch', additionalProperties: false, minProperties: 1, errorCode: 'empty_patch' },
)

export type VideoPatch = Static<typeof VideoPatchSchema>
