import type postgres from 'postgres'
import type { JobKind, JobState } from '../modules/jobs/model.ts'
import type { Sql } from '../platform/db.ts'

// The job queue's SQL. Every claim gets the job's next fencing token (jobs.claim_token, sql/0006),
// and every write a worker makes for a job it claimed checks that token (see `held`): once the
// claim has been swept (stuck) or the job claimed again, the old holder's late writes match no row
// and change nothing. Tokens only grow, so a stale claim can never become current again.
//
// States a worker holds a job in: everything but pending, completed and failed. jobs_claimed_at_idx
// (sql/0004) has exactly this predicate.

export interface Claim {
  id: string
  kind: JobKind
  input_url: string
  priority: number
  attempts: number
  meta: Record<string, unknown>
  /** The fencing token of this claim: the job's claim_token as this claim set it. */
  token: number
  /** Who holds it: unique per worker loop (host, pid, random, slot). */
  workerId: string
}

/** How long a failed attempt waits before the job may be claimed again. */
export interface RetryBackoff {
  /** The wait after the first failed attempt; it doubles with each further one. */
  baseMs: number
  /** No wait is longer than this. */
  maxMs: number
}

type ClaimRow = Omit<Claim, 'workerId' | 'token'> & { token: string }

/**
 * The next claimable job in (priority, created_at) order, marked as ours with the next fencing
 * token. `state = 'pending'` plus that ORDER BY is a prefix walk of jobs_queue_ordering_idx (state,
 * priority, created_at); jobs still backing off (retry_at in the future) are filtered out on the
 * way. The LIMIT stops at the first row left that no other worker has locked (SKIP LOCKED), so
 * claims never queue behind each other and never take the same job twice.
 */
export function claimQuery(sql: Sql, workerId: string) {
  return sql<ClaimRow[]>`
    UPDATE jobs j
    SET state = 'downloading', claimed_by = ${workerId}, claimed_at = now(), attempts = j.attempts + 1,
        claim_token = j.claim_token + 1, retry_at = NULL, updated_at = now()
    FROM (
      SELECT id FROM jobs
      WHERE state = 'pending' AND (retry_at IS NULL OR retry_at <= now())
      ORDER BY priority, created_at
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ) next
    WHERE j.id = next.id
    RETURNING j.id, j.kind, j.input_url, j.priority, j.attempts, j.meta, j.claim_token AS token`
}

export async function claimJob(sql: Sql, workerId: string): Promise<Claim | undefined> {
  const [row] = await claimQuery(sql, workerId)
  // bigint arrives as text; a token stays far below 2^53 (one per claim).
  return row && { ...row, token: Number(row.token), workerId }
}

/** WHERE clause of every write a worker makes for a job it claimed: the claim is still current. */
export const held = (sql: Sql | postgres.TransactionSql, c: Claim) =>
  sql`j.id = ${c.id} AND j.claim_token = ${c.token} AND j.state NOT IN ('pending', 'completed', 'failed')`

/**
 * The SET list of a counted failed attempt: back to pending while attempts remain (the claim is
 * cleared so anyone may retry it, once retry_at has passed), else failed for good (claimed_by
 * stays, naming the worker of the last attempt). The wait is base · 2^(attempt − 1), capped at max,
 * with equal jitter (half of it fixed, half random) so jobs that failed together do not retry
 * together.
 */
const retryOrFail = (sql: Sql, maxAttempts: number, backoff: RetryBackoff) => sql`
  state = CASE WHEN j.attempts >= ${maxAttempts} THEN 'failed'::job_state ELSE 'pending'::job_state END,
  claimed_by = CASE WHEN j.attempts >= ${maxAttempts} THEN j.claimed_by END,
  claimed_at = CASE WHEN j.attempts >= ${maxAttempts} THEN j.claimed_at END,
  retry_at = CASE WHEN j.attempts < ${maxAttempts} THEN now() + make_interval(secs =>
    least(${backoff.maxMs}::float8, ${backoff.baseMs}::float8 * power(2, least(j.attempts, 64) - 1)) * (0.5 + random() / 2) / 1000) END`

/** Moves the job (and its video, for a single job) to `state`; false when the claim is gone. */
export async function setStage(sql: Sql, c: Claim, state: JobState): Promise<boolean> {
  const rows = await sql`
    WITH job AS (
      UPDATE jobs j SET state = ${state}, updated_at = now() WHERE ${held(sql, c)} RETURNING j.id
    ), video AS (
      UPDATE videos v SET state = ${state}, updated_at = now() FROM job WHERE v.job_id = job.id
    )
    SELECT id FROM job`
  return rows.length > 0
}

export interface FailedAttempt {
  state: JobState
  /** When the job may run again (pending), or null (failed for good). */
  retry_at: Date | null
}

/** Records a failed attempt (see retryOrFail); undefined when the claim was already gone. */
export async function failJob(sql: Sql, c: Claim, error: string, maxAttempts: number, backoff: RetryBackoff): Promise<FailedAttempt | undefined> {
  const [row] = await sql<FailedAttempt[]>`
    WITH job AS (
      UPDATE jobs j
      SET ${retryOrFail(sql, maxAttempts, backoff)}, error = ${error}, updated_at = now()
      WHERE ${held(sql, c)}
      RETURNING j.id, j.state, j.error, j.retry_at
    ), video AS (
      UPDATE videos v SET state = job.state, error = job.error, updated_at = now() FROM job WHERE v.job_id = job.id
    )
    SELECT state, retry_at FROM job`
  return row
}

/** Gives a job back untouched (a shutdown): pending again at once, and this attempt does not count (its token stays used). */
export async function releaseJob(sql: Sql, c: Claim): Promise<boolean> {
  const rows = await sql`
    WITH job AS (
      UPDATE jobs j
      SET state = 'pending', claimed_by = NULL, claimed_at = NULL, attempts = j.attempts - 1, updated_at = now()
      WHERE ${held(sql, c)}
      RETURNING j.id
    ), video AS (
      UPDATE videos v SET state = 'pending', updated_at = now() FROM job WHERE v.job_id = job.id
    )
    SELECT id FROM job`
  return rows.length > 0
}

export interface SweptJob extends FailedAttempt {
  id: string
  claimed_by: string
}

/** Who holds a job now, for the log line of a worker whose claim was taken over. */
export async function currentClaim(sql: Sql, id: string): Promise<{ token: number; state: JobState; claimed_by: string | null } | undefined> {
  const [row] = await sql<{ token: string; state: JobState; claimed_by: string | null }[]>`
    SELECT claim_token AS token, state, claimed_by FROM jobs WHERE id = ${id}`
  return row && { ...row, token: Number(row.token) }
}

/**
 * Re-queues jobs whose claim is older than `stuckAfterSeconds`: their worker died or hung (a live
 * worker gives up on its transcriber before that, see WORKER_STUCK_AFTER in src/worker/index.ts).
 * The lost attempt counts (and backs off like any failed one), so a job that kills its worker every
 * time still ends as failed. Returns the pending query (await it to run it; tests EXPLAIN it).
 */
export function sweepStuckJobs(sql: Sql, stuckAfterSeconds: number, maxAttempts: number, backoff: RetryBackoff) {
  return sql<SweptJob[]>`
    WITH stuck AS (
      SELECT j.id, j.claimed_by FROM jobs j
      WHERE j.state NOT IN ('pending', 'completed', 'failed') AND j.claimed_at < now() - make_interval(secs => ${stuckAfterSeconds})
      FOR UPDATE SKIP LOCKED
    ), job AS (
      UPDATE jobs j
      SET ${retryOrFail(sql, maxAttempts, backoff)},
          error = format('attempt %s of %s: the claim by %s expired after %s s without the job finishing (worker died or hung)',
                         j.attempts, ${maxAttempts}::int, j.claimed_by, ${stuckAfterSeconds}::int),
          updated_at = now()
      FROM stuck WHERE j.id = stuck.id
      RETURNING j.id, j.state, j.error, j.retry_at, stuck.claimed_by
    ), video AS (
      UPDATE videos v SET state = job.state, error = job.error, updated_at = now() FROM job WHERE v.job_id = job.id
    )
    SELECT id, state, retry_at, claimed_by FROM job`
}
