import type { CursorCodec } from '../../http/cursor-codec.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { InvalidInput, NotFound } from '../../platform/domain-errors.ts'
import type { Metrics } from '../../platform/metrics.ts'
import type { JobKind } from './model.ts'
import { createJob, getJob, listJobs, type ListJobsInput } from './queries.ts'
import { parseYoutubeUrl, YoutubeUrlError, type ParsedYoutubeUrl } from './youtube-url.ts'

// The jobs' rules: a URL is canonicalised for its kind before it is queued (one unfinished job per
// canonical URL), queries are timed, created jobs counted. Errors are domain errors, never HTTP.

/** Canonical URL of `url` for a job of `kind`, or InvalidInput `invalid_url` naming the problem. */
export function canonicalJobUrl(url: string, kind: JobKind): ParsedYoutubeUrl {
  let parsed: ParsedYoutubeUrl
  try {
    parsed = parseYoutubeUrl(url)
  } catch (err) {
    if (err instanceof YoutubeUrlError) throw new InvalidInput('invalid_url', err.message)
    throw err
  }
  if (parsed.kind !== kind) {
    throw new InvalidInput('invalid_url', kind === 'single' ? 'this is a channel URL: submit it with kind "channel"' : 'this is a video URL: submit it with kind "single"')
  }
  return parsed
}

export function createJobService(deps: { sql: Sql; cursors: CursorCodec; timed: Timed; metrics: Metrics }) {
  const { sql, timed } = deps
  return {
    /** The unfinished job for this URL (created: false), or a new one. */
    async create(url: string, kind: JobKind) {
      const parsed = canonicalJobUrl(url, kind)
      const result = await timed('job_create', () => createJob(sql, parsed), [parsed.canonical])
      if (result.created) deps.metrics.jobsCreatedTotal.inc({ kind: result.job.kind })
      return result
    },
    async get(id: string) {
      const job = await timed('job_get', () => getJob(sql, id), [id])
      if (!job) throw new NotFound('job_not_found', `no job with id ${id}`)
      return job
    },
    list(input: ListJobsInput) {
      return timed('job_list', () => listJobs(sql, deps.cursors, input), [input.state, input.after])
    },
  }
}

export type JobService = ReturnType<typeof createJobService>
