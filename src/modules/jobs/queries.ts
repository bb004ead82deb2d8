import type { CursorCodec } from '../../http/cursor-codec.ts'
import { toPage, type Page } from '../../http/pagination.ts'
import { timestampKey } from '../../http/timestamp-key.ts'
import type postgres from 'postgres'
import type { Sql } from '../../platform/db.ts'
import type { Job, JobKind, JobState } from './model.ts'
import type { ParsedYoutubeUrl } from './youtube-url.ts'

// Job queries. Callers pass validated input; this file never sees the HTTP context.

/** A pool or a transaction: what the statements below run on. */
type Queryable = postgres.ISql

interface JobRow {
  id: string
  kind: JobKind
  input_url: string
  state: JobState
  priority: number
  attempts: number
  error: string | null
  meta: Record<string, unknown>
  claimed_at: Date | null
  created_at: Date
  updated_at: Date
  created_key: string
  video_id: string | null
}

/** The columns of a job as the API shows it; the video is found through meta.youtube_id (unique on videos). */
const selectJobs = (sql: Queryable) => sql`
  SELECT j.id, j.kind, j.input_url, j.state, j.priority, j.attempts, j.error, j.meta,
         j.claimed_at, j.created_at, j.updated_at, ${timestampKey(sql, sql`j.created_at`)} AS created_key, v.id AS video_id
  FROM jobs j LEFT JOIN videos v ON v.youtube_id = j.meta->>'youtube_id'`

function toJob(r: JobRow): Job {
  return {
    id: r.id,
    kind: r.kind,
    url: r.input_url,
    state: r.state,
    priority: r.priority,
    attempts: r.attempts,
    error: r.error,
    video_id: r.video_id,
    meta: r.meta,
    claimed_at: r.claimed_at?.toISOString() ?? null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  }
}

export function jobMeta(parsed: ParsedYoutubeUrl): Record<string, unknown> {
  return parsed.kind === 'single' ? { youtube_id: parsed.youtubeId } : { channel: parsed.channel }
}

export async function getJob(sql: Sql, id: string): Promise<Job | undefined> {
  const [row] = await sql<JobRow[]>`${selectJobs(sql)} WHERE j.id = ${id}`
  return row && toJob(row)
}

/**
 * The unfinished job for this URL (created: false) or a new one (created: true). The partial unique
 * index jobs_active_input_url_key arbitrates concurrent requests: the loser's INSERT does nothing
 * and it reads the winner's job. The loop covers the job finishing between those two statements.
 */
export async function createJob(sql: Queryable, parsed: ParsedYoutubeUrl, owner: string | null = null): Promise<{ job: Job; created: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const inserted = await sql<{ id: string }[]>`
      INSERT INTO jobs (kind, input_url, meta, created_by)
      VALUES (${parsed.kind}, ${parsed.canonical}, ${sql.json(jobMeta(parsed) as Parameters<typeof sql.json>[0])}, ${owner})
      ON CONFLICT (input_url) WHERE state NOT IN ('completed', 'failed') DO NOTHING
      RETURNING id`
    const [row] = inserted.length
      ? await sql<JobRow[]>`${selectJobs(sql)} WHERE j.id = ${inserted[0]?.id ?? ''}`
      : await sql<JobRow[]>`${selectJobs(sql)} WHERE j.input_url = ${parsed.canonical} AND j.state NOT IN ('completed', 'failed')`
    if (row) return { job: toJob(row), created: inserted.length > 0 }
  }
  throw new Error(`could not create or find an unfinished job for ${parsed.canonical}`)
}

/** Advisory-lock class of job quota checks (the second key is the user's), apart from other advisory locks. */
const JOB_QUOTA_LOCK_CLASS = 0x6a6f6271 // 'jobq'

/** Midnight UTC today, in SQL (the quota day). */
const startOfTodayUtc = (sql: Queryable) => sql`(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`

/** Jobs a user created today, as one statement (the EXPLAIN test checks this exact SQL). */
export function jobsTodayQuery(sql: Queryable, userId: string) {
  return sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM jobs WHERE created_by = ${userId} AND created_at >= ${startOfTodayUtc(sql)}`
}

export async function jobsToday(sql: Queryable, userId: string): Promise<number> {
  const [row] = await jobsTodayQuery(sql, userId)
  return row?.n ?? 0
}

export type QuotaJob = { job: Job; created: boolean } | { refused: true; used: number }

/**
 * createJob within a daily quota of new jobs for `userId`, in one transaction serialised per user by
 * an advisory lock: of N concurrent calls exactly `limit - used` create a job. A URL that already
 * has an unfinished job returns it and uses none of the quota.
 */
export async function createJobWithinQuota(sql: Sql, parsed: ParsedYoutubeUrl, userId: string, limit: number): Promise<QuotaJob> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${JOB_QUOTA_LOCK_CLASS}, hashtext(${userId}))`
    const [existing] = await tx<JobRow[]>`${selectJobs(tx)} WHERE j.input_url = ${parsed.canonical} AND j.state NOT IN ('completed', 'failed')`
    if (existing) return { job: toJob(existing), created: false }
    const used = await jobsToday(tx, userId)
    if (used >= limit) return { refused: true as const, used }
    return createJob(tx, parsed, userId)
  })
}

export interface ListJobsInput {
  state: JobState | undefined
  limit: number
  /** The position after which the page starts: [created_key, id] of the last job shown. */
  after: [string, string] | undefined
}

/** Binds a cursor to this list and its state filter. */
export const jobListScope = (state: JobState | undefined) => `GET /jobs?state=${state ?? ''}`

/**
 * The page query: LIMIT limit + 1 rows after `after` ([created_key, id]), newest first. Exported for
 * EXPLAIN tests. The key is bound as text and cast in SQL: bound as a timestamptz parameter,
 * postgres.js would serialise it through a JS Date and drop the microseconds, skipping rows.
 */
export function listJobsQuery(sql: Sql, state: JobState | undefined, limit: number, after: [string, string] | undefined) {
  return sql<JobRow[]>`
    ${selectJobs(sql)}
    WHERE true
      ${state === undefined ? sql`` : sql`AND j.state = ${state}`}
      ${after === undefined ? sql`` : sql`AND (j.created_at, j.id) < (${after[0]}::text::timestamptz, ${after[1]}::uuid)`}
    ORDER BY j.created_at DESC, j.id DESC
    LIMIT ${limit + 1}`
}

/** Newest first over (created_at, id). */
export async function listJobs(sql: Sql, cursors: CursorCodec, { state, limit, after }: ListJobsInput): Promise<Page<Job>> {
  const scope = jobListScope(state)
  const rows = await listJobsQuery(sql, state, limit, after)
  return toPage(cursors, rows, limit, scope, (r) => [r.created_key, r.id], toJob)
}
