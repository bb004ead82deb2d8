import { Elysia } from 'elysia'
import { NO_STORE } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import type { Caller, Identity } from '../../http/caller.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import type { Config } from '../../config.ts'
import { readJsonBody } from '../../http/json-body.ts'
import { operation } from '../../http/openapi-operation.ts'
import { parseId } from '../../http/params.ts'
import { decodeTimestampCursor } from '../../http/timestamp-key.ts'
import { queryParser } from '../../http/validate.ts'
import { CreateJobBody, IdParams, JOBS_DEFAULT_LIMIT, JobPage, JobSchema, ListJobsQuery, MAX_JOB_BODY_BYTES } from './model.ts'
import { jobListScope } from './queries.ts'
import type { JobOwner, JobService } from './service.ts'

const TAGS = ['jobs']

const parseListQuery = queryParser(ListJobsQuery)

/** The daily job limit that applies to a caller, or undefined when exempt (pro plan, admins, no account). */
export function jobLimit(config: Config, caller: Pick<Caller, 'plan' | 'role' | 'account'>): number | undefined {
  return caller.account && caller.plan === 'free' && caller.role !== 'admin' ? config.FREE_DAILY_JOB_LIMIT : undefined
}

export function jobsRoutes(deps: { jobs: JobService; cursors: CursorCodec; auth: Identity; config: Config }) {
  const { jobs } = deps
  const anonymous = deps.config.ALLOW_ANONYMOUS_JOBS
  return new Elysia({ name: 'jobs' })
    .use(routeOptions())
    .post(
      '/jobs',
      async (ctx) => {
        const { request, status, set } = ctx
        // Each job runs the transcriber on the operator's machine: it needs an owner (the caller first, before the body is read).
        const caller = anonymous ? await deps.auth.optional(request) : await deps.auth.require(ctx, 'write')
        const owner: JobOwner = { userId: caller?.account?.id ?? null, dailyLimit: caller && jobLimit(deps.config, caller) }
        const body = await readJsonBody(request, CreateJobBody, MAX_JOB_BODY_BYTES)
        const { job, created } = await jobs.create(body.url, body.kind, owner)
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
            `Unknown or missing fields are a 400, a body over ${MAX_JOB_BODY_BYTES} bytes a 413. ` +
            'Needs a signed-in caller with the `write` scope (or the ADMIN_TOKEN) unless the server runs with ALLOW_ANONYMOUS_JOBS=true. ' +
            'Free-plan users may create FREE_DAILY_JOB_LIMIT new jobs per UTC day (402 `job_quota_exceeded` after that; GET /auth/me shows the count); ' +
            'an unfinished job returned for its URL uses none. Pro and admins have no quota.',
          access: 'user',
          body: { schema: CreateJobBody, maxBytes: MAX_JOB_BODY_BYTES },
          errors: { 400: ['invalid_url'], 402: ['job_quota_exceeded'] },
          ok: { 200: JobSchema, 201: JobSchema },
        }),
      },
    )
    .get(
      '/jobs/:id',
      async ({ params }) => {
        return jobs.get(parseId(params.id))
      },
      {
        cachePolicy: NO_STORE,
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
        const after = q.cursor === undefined ? undefined : decodeTimestampCursor(deps.cursors, jobListScope(q.state), q.cursor)
        return jobs.list({ state: q.state, limit: q.limit ?? JOBS_DEFAULT_LIMIT, after })
      },
      {
        cachePolicy: NO_STORE,
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
