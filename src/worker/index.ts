import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { CONFIG_SPECS } from '../config.ts'
import type { Sql } from '../platform/db.ts'
import { errorFields, type Logger } from '../platform/log.ts'
import { createQueryTimer, type Timed } from '../platform/db-metrics.ts'
import { createMetrics, type Metrics } from '../platform/metrics.ts'
import { processJob, type JobContext } from './process-job.ts'
import { claimJob, currentClaim, failJob, sweepStuckJobs, type Claim, type RetryBackoff } from './queue.ts'

// The worker: `concurrency` loops that each claim one job at a time and see it through, plus a
// periodic sweep that re-queues claims older than WORKER_STUCK_AFTER.
//
// WORKER_STUCK_AFTER is the lifetime of a claim. A live worker kills its transcriber a little
// before the claim expires and records a timeout, so only a dead or hung worker's claims are ever
// swept, and no job runs twice at once. Jobs longer than that need a larger WORKER_STUCK_AFTER.
// A worker that dies (even by SIGKILL) takes its transcriber's whole process group with it (see
// process-group.ts), and should a stale worker still finish a job that was claimed again, its
// claim's fencing token no longer matches: its result is discarded and logged, never stored.
//
// Shutdown (stop): no new claims; the held jobs get `graceMs` to finish, then their transcribers
// are killed and the jobs released to pending, the attempt not counted. A job is never left
// claimed by a worker that has exited; if even the release fails (database down), the sweep
// re-queues it once the claim expires.

export interface WorkerOptions {
  sql: Sql
  log: Logger
  /** TRANSCRIBE_CMD split into argv (see splitShellWords); the URL is appended. */
  argv: readonly string[]
  concurrency: number
  maxAttempts: number
  stuckAfterSeconds: number
  /** The wait before a failed attempt's retry; WORKER_RETRY_BASE and WORKER_RETRY_MAX by default. */
  retryBackoff?: RetryBackoff
  /** Sleep between claims when the queue is empty (jittered ±50%). */
  pollIntervalMs?: number
  /** Extra environment for the transcriber. */
  env?: Record<string, string>
  /** Cache invalidation for what a job wrote; without it the servers see results after their TTL. */
  invalidate?: (scopes: readonly string[]) => Promise<void>
  maxStdoutBytes?: number
  /** What the worker counts into (its own when not given: the worker CLI serves it at --metrics-port). */
  metrics?: Metrics
  /** How it runs its queries; by default timed into `metrics`, without a breaker. */
  timed?: Timed
}

export interface Worker {
  /** One id per loop, as written to jobs.claimed_by. */
  ids: readonly string[]
  /** Stops claiming; waits up to graceMs for held jobs, then releases them. Resolves when all loops ended. */
  stop(graceMs: number): Promise<void>
  /** Resolves when every loop has ended (after stop). */
  done: Promise<void>
}

const DEFAULT_POLL_MS = 1000
const DEFAULT_MAX_STDOUT = 64 * 1024 * 1024
const ERROR_BACKOFF_MS = 2000
const DEFAULT_BACKOFF: RetryBackoff = {
  baseMs: CONFIG_SPECS.WORKER_RETRY_BASE.default * 1000,
  maxMs: CONFIG_SPECS.WORKER_RETRY_MAX.default * 1000,
}

export function startWorker(opts: WorkerOptions): Worker {
  const { sql, log } = opts
  const metrics = opts.metrics ?? createMetrics()
  const timed = opts.timed ?? createQueryTimer({ metrics, log, slowQueryMs: CONFIG_SPECS.DB_SLOW_QUERY_MS.default, poolMax: CONFIG_SPECS.DB_POOL_MAX.default })
  const pollMs = opts.pollIntervalMs ?? DEFAULT_POLL_MS
  const stuckMs = opts.stuckAfterSeconds * 1000
  const backoff = opts.retryBackoff ?? DEFAULT_BACKOFF
  // The margin left between our own timeout and the claim's expiry, to kill and record the failure.
  const margin = Math.min(10_000, stuckMs / 5)
  const instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const ids = Array.from({ length: opts.concurrency }, (_, i) => `${instance}/${i + 1}`)

  let stopping = false
  let wake: () => void = () => {}
  const stopped = new Promise<void>((resolve) => {
    wake = resolve
  })
  const abort = new AbortController()
  const ctx: JobContext = {
    sql,
    log,
    argv: opts.argv,
    env: opts.env ?? {},
    maxAttempts: opts.maxAttempts,
    backoff,
    timeoutMs: stuckMs - margin,
    maxStdoutBytes: opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT,
    killGraceMs: margin / 2,
    abort: abort.signal,
    invalidate: opts.invalidate ?? (async () => {}),
  }
  /** Sleeps, but wakes at once on stop. */
  const pause = (ms: number) => Promise.race([Bun.sleep(ms), stopped])

  /** A write fenced out: another claim has superseded ours, so whatever this run produced is dropped. */
  async function logStale(claim: Claim): Promise<void> {
    const now = await currentClaim(sql, claim.id).catch(() => undefined)
    log.warn('stale claim: this worker\'s result was discarded', {
      job_id: claim.id,
      token: claim.token,
      current_token: now?.token ?? null,
      state: now?.state ?? null,
      claimed_by: now?.claimed_by ?? null,
      worker: claim.workerId,
    })
  }

  async function handle(claim: Claim): Promise<void> {
    const started = performance.now()
    log.info('job claimed', { job_id: claim.id, kind: claim.kind, url: claim.input_url, attempt: claim.attempts, token: claim.token, worker: claim.workerId })
    try {
      const outcome = await processJob(ctx, claim)
      metrics.jobsFinishedTotal.inc({ result: outcome })
      if (outcome === 'lost') await logStale(claim)
      log.info('job done', { job_id: claim.id, outcome, ms: Math.round(performance.now() - started) })
    } catch (err) {
      // A database error mid-job: record it as a failed attempt if we still can; otherwise the
      // claim stays and the sweep re-queues it after WORKER_STUCK_AFTER.
      log.error('job crashed', { job_id: claim.id, ...errorFields(err) })
      const message = `attempt ${claim.attempts} of ${opts.maxAttempts}: worker error: ${err instanceof Error ? err.message : String(err)}`
      try {
        if (!(await failJob(sql, claim, message, opts.maxAttempts, backoff))) await logStale(claim)
      } catch (e) {
        log.error('could not record the failure', { job_id: claim.id, ...errorFields(e) })
      }
    }
  }

  async function loop(workerId: string): Promise<void> {
    while (!stopping) {
      let claim: Claim | undefined
      try {
        claim = await timed('job_claim', () => claimJob(sql, workerId))
      } catch (err) {
        log.error('could not claim a job', { worker: workerId, ...errorFields(err) })
        await pause(ERROR_BACKOFF_MS)
        continue
      }
      if (claim) await handle(claim)
      else await pause(pollMs * (0.5 + Math.random()))
    }
  }

  async function sweepLoop(): Promise<void> {
    // Often enough that a dead worker's job waits little past its expiry; at most once a minute.
    const every = Math.max(1000, Math.min(60_000, stuckMs / 4))
    while (!stopping) {
      try {
        for (const job of await timed('job_sweep', () => sweepStuckJobs(sql, opts.stuckAfterSeconds, opts.maxAttempts, backoff))) {
          log.warn('re-queued a stuck job', { job_id: job.id, state: job.state, retry_at: job.retry_at, previous_worker: job.claimed_by })
        }
      } catch (err) {
        log.error('stuck-job sweep failed', errorFields(err))
      }
      await pause(every * (0.75 + Math.random() / 2))
    }
  }

  log.info('worker started', { worker: instance, concurrency: opts.concurrency, stuck_after_s: opts.stuckAfterSeconds, max_attempts: opts.maxAttempts, retry_base_ms: backoff.baseMs, retry_max_ms: backoff.maxMs })
  const done = Promise.all([...ids.map(loop), sweepLoop()]).then(() => undefined)

  return {
    ids,
    done,
    async stop(graceMs: number) {
      if (!stopping) log.info('worker stopping: finishing held jobs', { grace_ms: graceMs })
      stopping = true
      wake()
      const finished = await Promise.race([done.then(() => true), Bun.sleep(graceMs).then(() => false)])
      if (!finished) {
        log.warn('grace period over: releasing held jobs')
        abort.abort()
        await done
      }
      log.info('worker stopped', { worker: instance })
    },
  }
}
