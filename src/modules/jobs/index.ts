import { Elysia } from 'elysia'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { notFound } from '../../http/errors.ts'
import { readJsonBody } from '../../http/json-body.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import { queryParser } from '../../http/validate.ts'
import type { Sql } from '../../platform/db.ts'
import { timed } from '../../platform/db-metrics.ts'
import { jobsCreatedTotal } from '../../platform/metrics.ts'
import { CreateJobBody, IdParams, JOBS_DEFAULT_LIMIT, JobPage, JobSchema, ListJobsQuery, MAX_JOB_BODY_BYTES } from './model.ts'
import { canonicalJobUrl, createJob, getJob, listJobs } from './service.ts'

const TAGS = ['jobs']

const parseListQuery = queryParser(ListJobsQuery)

export function jobsRoutes(deps: { sql: Sql; cursors: CursorCodec }) {
  return new Elysia({ name: 'jobs' })
    .post(
      '/jobs',
      async ({ request, status, set }) => {
        const body = await readJsonBody(request, CreateJobBody, MAX_JOB_BODY_BYTES)
        const parsed = canonicalJobUrl(body.url, body.kind)
        const { job, created } = await timed('job_create', () => createJob(deps.sql, parsed), [parsed.canonical])
        if (created) jobsCreatedTotal.inc({ kind: job.kind })
        set.headers.location = `/jobs/${job.id}`
        return created ? status(201, job) : status(200, job)
      },
      {
        // The handler reads the body itself, with a byte limit before anything is buffered.
        parse: 'none',
        detail: operation({
          tags: TAGS,
          summary: 'Queue a video or a channel for transcription',
          description:
            'The URL is normalised (e.g. youtu.be/ID → https://www.youtube.com/watch?v=ID) before it is stored. ' +
            'While a job for the same canonical URL is unfinished, that job is returned with 200 instead of a new one (201). ' +
            'Video URLs need kind=single, channel URLs kind=channel; anything else is a 400 `invalid_url` saying what is wrong. ' +
            `Unknown or missing fields are a 400, a body over ${MAX_JOB_BODY_BYTES} bytes a 413.`,
          body: { schema: CreateJobBody, maxBytes: MAX_JOB_BODY_BYTES },
          errors: { 400: ['invalid_url'] },
          ok: { 200: JobSchema, 201: JobSchema },
        }),
      },
    )
    .get(
      '/jobs/:id',
      async ({ params }) => {
        const id = parseId(params.id)
        const job = await timed('job_get', () => getJob(deps.sql, id), [id])
        if (!job) throw notFound('job_not_found', `no job with id ${params.id}`)
        return job
      },
      {
        detail: operation({
          tags: TAGS,
          summary: 'A job and its progress',
          description: 'Poll this to follow a job through its states; `error` holds the last failure.',
          params: IdParams,
          ok: { 200: JobSchema },
          errors: { 400: ['invalid_id'], 404: ['job_not_found'] },
        }),
      },
    )
    .get(
      '/jobs',
      ({ query }) => {
        const q = parseListQuery(query)
        const input = { state: q.state, limit: q.limit ?? JOBS_DEFAULT_LIMIT, cursor: q.cursor }
        return timed('job_list', () => listJobs(deps.sql, deps.cursors, input), [input.state, input.cursor])
      },
      {
        detail: operation({
          tags: TAGS,
          summary: 'Jobs, newest first',
          description:
            'Cursor-paginated over (created_at, id). Filter by `state`; pass `page_info.next_cursor` as `cursor` for the next page. ' +
            'A cursor only works with the filter it was issued for (400 `invalid_cursor` otherwise).',
          query: ListJobsQuery,
          ok: { 200: JobPage },
          errors: { 400: ['invalid_state', 'invalid_limit', 'invalid_cursor'] },
        }),
      },
    )
}
