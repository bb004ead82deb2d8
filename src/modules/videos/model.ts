import { t } from 'elysia'
import { ErrorSchema } from '../../http/errors.ts'
import { PageSchema } from '../../http/pagination.ts'
import { DEFAULT_LIMIT, MAX_LIMIT } from './list-params.ts'
import { MAX_PATCH_BYTES, PATCH_FIELDS } from './patch.ts'
import { VIDEO_SORTS, VIDEO_STATES } from './queries.ts'

// OpenAPI schemas of the video routes. Query parameters are plain optional strings: the handlers
// validate them, so a bad value gets its specific error code (`invalid_state`, `invalid_limit`…).

export const errorSchema = (description: string) => t.Object(ErrorSchema.properties, { description })

export const IdParams = t.Object({
  id: t.String({ description: 'Video id (UUID)', examples: ['5f0c6c1e-8d5a-4f7e-9a43-2b1f0b6c9d10'] }),
})

export const ListQuery = t.Object({
  sort: t.Optional(
    t.String({
      enum: [...VIDEO_SORTS],
      description: '`created_at` (default): newest added first. `uploaded_at`: newest on YouTube first; videos without an upload date come last.',
      examples: ['created_at'],
    }),
  ),
  channel: t.Optional(t.String({ description: 'Exact channel name', examples: ['Veritasium'] })),
  language: t.Optional(t.String({ description: 'Language tag', examples: ['en'] })),
  category: t.Optional(t.String({ examples: ['Education'] })),
  state: t.Optional(t.String({ enum: [...VIDEO_STATES], description: 'Processing state', examples: ['completed'] })),
  limit: t.Optional(t.String({ description: `1 to ${MAX_LIMIT}, default ${DEFAULT_LIMIT}`, examples: ['20'] })),
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
  duration_seconds: t.Nullable(t.Integer({ examples: [754] })),
  thumbnail_url: nullableString('https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg'),
  uploaded_at: t.Nullable(t.String({ format: 'date-time', description: 'When the video was published on YouTube, if known' })),
  state: t.UnionEnum([...VIDEO_STATES]),
  error: t.Nullable(t.String({ description: 'Why processing failed, when state is failed' })),
  created_at: t.String({ format: 'date-time' }),
  updated_at: t.String({ format: 'date-time' }),
}

export const VideoSchema = t.Object(videoFields, { title: 'Video' })

export const VideoDetailSchema = t.Object(
  {
    ...videoFields,
    transcript_sources: t.Array(t.UnionEnum(['whisper', 'youtube']), {
      description: 'Which transcripts exist for the video',
      examples: [['whisper', 'youtube']],
    }),
  },
  { title: 'VideoDetail' },
)

export const VideoPageSchema = PageSchema(VideoSchema, 'VideoPage')

export const patchRequestBody = {
  required: true,
  description: `JSON, at most ${MAX_PATCH_BYTES} bytes, at least one field. Strings are trimmed; null clears a field; any other field is a 400.`,
  content: {
    'application/json': {
      schema: t.Object(
        {
          title: t.Optional(t.Nullable(t.String({ minLength: 1, maxLength: PATCH_FIELDS.title, examples: ['A better title'] }))),
          channel_name: t.Optional(t.Nullable(t.String({ minLength: 1, maxLength: PATCH_FIELDS.channel_name }))),
          language: t.Optional(t.Nullable(t.String({ minLength: 2, maxLength: PATCH_FIELDS.language, examples: ['en'] }))),
          category: t.Optional(t.Nullable(t.String({ minLength: 1, maxLength: PATCH_FIELDS.category, examples: ['Science'] }))),
        },
        { title: 'VideoPatch', additionalProperties: false, minProperties: 1 },
      ) as unknown as Record<string, unknown>,
    },
  },
}
