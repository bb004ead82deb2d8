import type { CursorCodec } from '../../http/cursor-codec.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { InvalidInput, NotFound, QuotaExceeded } from '../../platform/domain-errors.ts'
import type { Metrics } from '../../platform/metrics.ts'
import type { JobKind } from './model.ts'
import { createJob, createJobWithinQuota, getJob, jobsToday, listJobs, type ListJobsInput } from './queries.ts'
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

/** Who creates a job: the user who owns it (null: anonymous or the ADMIN_TOKEN) and their daily quota (undefined: none). */
export interface JobOwner {
  userId: string | null
  dailyLimit: number | undefined
}

/** Midnight UTC after `now`, when today's job quota resets. */
export function jobQuotaResetsAt(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString()
}

const jobQuotaExceeded = (limit: number) =>
  new QuotaExceeded(
    'job_quota_exceeded',
    `the free plan includes ${limit} new transcription job${limit === 1 ? '' : 's'} per day (UTC) and today's are used; ` +
      `the quota resets at ${jobQuotaResetsAt()}. Pro and admin accounts have no job limit.`,
  )

export function createJobService(deps: { sql: Sql; cursors: CursorCodec; timed: Timed; metrics: Metrics }) {
  const { sql, timed } = deps
  return {
    /** The unfinished job for this URL (created: false), or a new one owned by `owner` within its quota. */
    async create(url: string, kind: JobKind, owner: JobOwner) {
      const parsed = canonicalJobUrl(url, kind)
      const { userId, dailyLimit } = owner
      const result =
        userId === null || dailyLimit === undefined
          ? await timed('job_create', () => createJob(sql, parsed, userId), [parsed.canonical])
          : await timed('job_create_quota', () => createJobWithinQuota(sql, parsed, userId, dailyLimit), [parsed.canonical, userId])
      if ('refused' in result) throw jobQuotaExceeded(dailyLimit ?? 0)
      if (result.created) deps.metrics.jobsCreatedTotal.inc({ kind: result.job.kind })
      return result
    },
    /** Today's new jobs of a user against its daily limit (undefined: none), as GET /auth/me shows them. */
    async usageToday(userId: string | undefined, limit: number | undefined) {
      const used = userId === undefined ? 0 : await timed('jobs_today', () => jobsToday(sql, userId), [userId])
      return { used, limit: limit ?? null, remaining: limit === undefined ? null : Math.max(0, limit - used) }
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
