import type { JobKind, JobState } from '../modules/jobs/model.ts'
import type { Sql } from '../platform/db.ts'

// The job queue's SQL. A claim is fenced by (claimed_by, attempts): every write a worker makes for
// a job it claimed checks both, so once the claim has been swept (stuck) or the job re-claimed,
// the old holder's late writes match no row and change nothing.
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
  /** Who holds it: unique per worker loop (host, pid, random, slot). */
  workerId: string
}

/**
 * The next pending job in (priority, created_at) order, marked as ours. `state = 'pending'` plus
 * that ORDER BY is a prefix walk of jobs_queue_ordering_idx (state, priority, created_at): the
 * LIMIT stops at the first row not locked by another worker (SKIP LOCKED), so claims never queue
 * behind each other and never take the same job twice.
 */
export function claimQuery(sql: Sql, workerId: string) {
  return sql<Omit<Claim, 'workerId'>[]>`
    UPDATE jobs j
    SET state = 'downloading', claimed_by = ${workerId}, claimed_at = now(), attempts = j.attempts + 1, updated_at = now()
    FROM (
      SELECT id FROM jobs
      WHERE state = 'pending'
      ORDER BY priority, created_at
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ) next
    WHERE j.id = next.id
    RETURNING j.id, j.kind, j.input_url, j.priority, j.attempts, j.meta`
}

export async function claimJob(sql: Sql, workerId: string): Promise<Claim | undefined> {
  const [row] = await claimQuery(sql, workerId)
  return row && { ...row, workerId }
}

/** WHERE clause of every write for a claimed job. */
const held = (sql: Sql, c: Claim) =>
  sql`j.id = ${c.id} AND j.claimed_by = ${c.workerId} AND j.attempts = ${c.attempts} AND j.state NOT IN ('pending', 'completed', 'failed')`

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

/**
 * Records a failed attempt: back to pending while attempts remain (the claim is cleared so anyone
 * may retry it), else failed for good (claimed_by stays, naming the worker of the last attempt).
 * Returns the new state, or undefined when the claim was already gone.
 */
export async function failJob(sql: Sql, c: Claim, error: string, maxAttempts: number): Promise<JobState | undefined> {
  const [row] = await sql<{ state: JobState }[]>`
    WITH job AS (
      UPDATE jobs j
      SET state = CASE WHEN j.attempts >= ${maxAttempts} THEN 'failed'::job_state ELSE 'pending'::job_state END,
          error = ${error},
          claimed_by = CASE WHEN j.attempts >= ${maxAttempts} THEN j.claimed_by END,
          claimed_at = CASE WHEN j.attempts >= ${maxAttempts} THEN j.claimed_at END,
          updated_at = now()
      WHERE ${held(sql, c)}
      RETURNING j.id, j.state, j.error
    ), video AS (
      UPDATE videos v SET state = job.state, error = job.error, updated_at = now() FROM job WHERE v.job_id = job.id
    )
    SELECT state FROM job`
  return row?.state
}

/** Gives a job back untouched (a shutdown): pending again, and this attempt does not count. */
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

export interface SweptJob {
  id: string
  state: JobState
  claimed_by: string
}

/**
 * Re-queues jobs whose claim is older than `stuckAfterSeconds`: their worker died or hung (a live
 * worker gives up on its transcriber before that, see WORKER_STUCK_AFTER in src/worker/index.ts).
 * The lost attempt counts, so a job that kills its worker every time still ends as failed.
 * Returns the pending query (await it to run it; tests EXPLAIN it).
 */
export function sweepStuckJobs(sql: Sql, stuckAfterSeconds: number, maxAttempts: number) {
  return sql<SweptJob[]>`
    WITH stuck AS (
      SELECT j.id, j.claimed_by FROM jobs j
      WHERE j.state NOT IN ('pending', 'completed', 'failed') AND j.claimed_at < now() - make_interval(secs => ${stuckAfterSeconds})
      FOR UPDATE SKIP LOCKED
    ), job AS (
      UPDATE jobs j
      SET state = CASE WHEN j.attempts >= ${maxAttempts} THEN 'failed'::job_state ELSE 'pending'::job_state END,
          error = format('attempt %s of %s: the claim by %s expired after %s s without the job finishing (worker died or hung)',
                         j.attempts, ${maxAttempts}::int, j.claimed_by, ${stuckAfterSeconds}::int),
          claimed_by = CASE WHEN j.attempts >= ${maxAttempts} THEN j.claimed_by END,
          claimed_at = CASE WHEN j.attempts >= ${maxAttempts} THEN j.claimed_at END,
          updated_at = now()
      FROM stuck WHERE j.id = stuck.id
      RETURNING j.id, j.state, j.error, stuck.claimed_by
    ), video AS (
      UPDATE videos v SET state = job.state, error = job.error, updated_at = now() FROM job WHERE v.job_id = job.id
    )
    SELECT id, state, claimed_by FROM job`
}
