import { type Static, Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { OneOf } from '../../http/one-of.ts'
import { PageSchema } from '../../http/pagination.ts'

// The jobs API's schemas: the single source of its validation, types and OpenAPI components.

export const JOB_STATES = ['pending', 'downloading', 'transcoding', 'transcribing', 'diarizing', 'persisting', 'completed', 'failed'] as const
export type JobState = (typeof JOB_STATES)[number]
export const JOB_KINDS = ['single', 'channel'] as const
export type JobKind = (typeof JOB_KINDS)[number]

/** Largest accepted POST /jobs body. */
export const MAX_JOB_BODY_BYTES = 16 * 1024

export const CreateJobBody = t.Object(
  {
    url: t.String({
      description:
        'A YouTube video URL (watch, youtu.be, shorts; www., m. and music. hosts) for kind=single, or a channel URL (/channel/UC…, /@handle, /c/name, /user/name) for kind=channel',
      examples: ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'https://youtu.be/dQw4w9WgXcQ', 'https://www.youtube.com/@LinusTechTips'],
    }),
    kind: OneOf(JOB_KINDS, { description: 'single: one video; channel: every video the channel lists' }),
  },
  { additionalProperties: false, title: 'CreateJob' },
)

const Timestamp = t.String({ format: 'date-time', examples: ['2025-01-31T12:00:00.000Z'] })

export const JobSchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    kind: OneOf(JOB_KINDS),
    url: t.String({ description: 'the canonical form of the submitted URL', examples: ['https://www.youtube.com/watch?v=dQw4w9WgXcQ'] }),
    state: OneOf(JOB_STATES, {
      description:
        'pending → downloading → transcoding → transcribing → diarizing → persisting → completed, or failed; a worker skips the stages its transcriber does not report',
    }),
    priority: Type.Integer({ description: 'lower runs first', examples: [100] }),
    attempts: Type.Integer({ description: 'how many times a worker has claimed the job', examples: [1] }),
    error: t.Union([t.String(), t.Null()], {
      description: 'the last failure (exit code and stderr tail of the transcriber); null once completed',
      examples: [null],
    }),
    video_id: t.Union([t.String({ format: 'uuid' }), t.Null()], { description: 'the video row of a single job, once it exists' }),
    meta: t.Record(t.String(), t.Unknown(), {
      description:
        'youtube_id (single), channel (channel), parent_job_id (a job a channel job created), videos_found and jobs_created (a finished channel job)',
      examples: [{ youtube_id: 'dQw4w9WgXcQ' }],
    }),
    claimed_at: t.Union([Timestamp, t.Null()], { description: 'when the current claim began; null while pending' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Job' },
)

export const IdParams = t.Object({ id: t.String({ format: 'uuid', description: 'Job id (UUID)' }) })

export const JobPage = PageSchema(JobSchema, 'JobPage')

export const JOBS_DEFAULT_LIMIT = 20
export const JOBS_MAX_LIMIT = 100

export const ListJobsQuery = t.Object({
  state: t.Optional(OneOf(JOB_STATES, { examples: ['pending'] })),
  limit: t.Optional(Type.Integer({ minimum: 1, maximum: JOBS_MAX_LIMIT, default: JOBS_DEFAULT_LIMIT, description: `1..${JOBS_MAX_LIMIT}, default ${JOBS_DEFAULT_LIMIT}` })),
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page' })),
})

export type Job = Static<typeof JobSchema>
