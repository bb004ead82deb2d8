import { Elysia } from 'elysia'
import { NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { badRequest, ErrorSchema } from '../../http/errors.ts'
import { parseEnum, parseId, parseLimit } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import { checkBodyFields, readJsonBody } from './body.ts'
import { CREATE_JOB_FIELDS, CreateJobBody, JOB_KINDS, JOB_STATES, JobPage, JobSchema, ListJobsQuery, MAX_JOB_BODY_BYTES } from './model.ts'
import { jobListScope } from './queries.ts'
import type { JobService } from './service.ts'

const TAGS = ['jobs']

/** Runs before Elysia's validator, so each mistake gets its own code and a message naming it. */
function checkCreateJob(body: unknown): void {
  checkBodyFields(body, CREATE_JOB_FIELDS)
  if (typeof body.url !== 'string') throw badRequest('invalid_url', 'url must be a string')
  if (!JOB_KINDS.some((k) => k === body.kind)) throw badRequest('invalid_kind', `kind must be one of ${JOB_KINDS.join(', ')}`)
}

export function jobsRoutes(deps: { jobs: JobService; cursors: CursorCodec }) {
  const { jobs } = deps
  return new Elysia({ name: 'jobs' })
    .use(routeOptions())
    .post(
      '/jobs',
      async ({ body, status, set }) => {
        const { job, created } = await jobs.create(body.url, body.kind)
        set.headers.location = `/jobs/${job.id}`
        return created ? status(201, job) : status(200, job)
      },
      {
        // Our own reader first (a byte limit before anything is buffered); 'application/json' only
        // tells the OpenAPI document the content type, since the reader always answers.
        parse: [({ request }) => readJsonBody(request, MAX_JOB_BODY_BYTES), 'application/json'],
        transform: ({ body }) => checkCreateJob(body),
        body: CreateJobBody,
        detail: {
          tags: TAGS,
          summary: 'Queue a video or a channel for transcription',
          description:
            'The URL is normalised (e.g. youtu.be/ID → https://www.youtube.com/watch?v=ID) before it is stored. ' +
            'While a job for the same canonical URL is unfinished, that job is returned with 200 instead of a new one (201). ' +
            'Video URLs need kind=single, channel URLs kind=channel; anything else is a 400 `invalid_url` saying what is wrong. ' +
            `Unknown or missing fields are a 400, a body over ${MAX_JOB_BODY_BYTES} bytes a 413.`,
        },
        response: {
          200: JobSchema,
          201: JobSchema,
          400: ErrorSchema,
          413: ErrorSchema,
          415: ErrorSchema,
        },
      },
    )
    .get(
      '/jobs/:id',
      async ({ params }) => {
        return jobs.get(parseId(params.id))
      },
      {
        cachePolicy: NO_STORE,
        detail: {
          tags: TAGS,
          summary: 'A job and its progress',
          description: 'Poll this to follow a job through its states; `error` holds the last failure.',
        },
        response: { 200: JobSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    )
    .get(
      '/jobs',
      ({ query }) => {
        const state = parseEnum('state', query.state, JOB_STATES)
        const limit = parseLimit(query.limit, 20, 100)
        const after = query.cursor === undefined || query.cursor === '' ? undefined : decodeTimestampCursor(deps.cursors, jobListScope(state), query.cursor)
        return jobs.list({ state, limit, after })
      },
      {
        query: ListJobsQuery,
        cachePolicy: NO_STORE,
        detail: {
          tags: TAGS,
          summary: 'Jobs, newest first',
          description:
            'Cursor-paginated over (created_at, id). Filter by `state`; pass `page_info.next_cursor` as `cursor` for the next page. ' +
            'A cursor only works with the filter it was issued for (400 `invalid_cursor` otherwise).',
        },
        response: { 200: JobPage, 400: ErrorSchema },
      },
    )
}
