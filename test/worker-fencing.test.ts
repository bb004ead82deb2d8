import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startWorker, type Worker } from '../src/worker/index.ts'
import { parseTranscriptOutput } from '../src/worker/output.ts'
import { attachVideo, expandChannel, persistTranscript } from '../src/worker/persist.ts'
import { claimJob, failJob, releaseJob, setStage, sweepStuckJobs, type Claim, type RetryBackoff } from '../src/worker/queue.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'
import { FAKE, insertJobs, job, recordingLog, until } from './worker-helpers.ts'

// Fencing tokens and retry backoff, against the real PostgreSQL: the queue's own functions for the
// exact rules, then two real worker loops racing for one job for what a stale worker does.

const NO_WAIT: RetryBackoff = { baseMs: 0, maxMs: 0 }
const OUTPUT = parseTranscriptOutput('{"start_ms":0,"end_ms":1000,"text":"stale words"}')

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
})
afterAll(async () => {
  await db.drop()
})
beforeEach(async () => {
  // Each test sees only its own jobs: claimJob takes whatever is next.
  await db.sql`TRUNCATE jobs, videos, transcripts, segments CASCADE`
})

async function claim(workerId = 'w/1'): Promise<Claim> {
  const c = await claimJob(db.sql, workerId)
  if (!c) throw new Error('nothing to claim')
  return c
}

/** The stored rows a worker could write for a job, to show that a fenced-out write changed nothing. */
const snapshot = async (id: string) => ({
  job: await job(db.sql, id),
  videos: await db.sql`SELECT youtube_id, job_id, state, error FROM videos ORDER BY youtube_id`,
  transcripts: await db.sql`SELECT video_id, source FROM transcripts`,
  jobs: await db.sql`SELECT id FROM jobs ORDER BY id`,
})

/** How long the job waits before its retry, from the row itself (retry_at and updated_at share one now()). */
async function waitMs(id: string): Promise<number> {
  const [row] = await db.sql<{ ms: number }[]>`SELECT extract(epoch FROM retry_at - updated_at)::float8 * 1000 AS ms FROM jobs WHERE id = ${id}`
  return row?.ms ?? Number.NaN
}

describe('fencing tokens', () => {
  test('each claim takes the next token; a release keeps it, so the same loop re-claiming at the same attempt still gets a new one', async () => {
    const [id = ''] = await insertJobs(db.sql, ['fence000001'])
    const first = await claim()
    expect(first).toMatchObject({ id, attempts: 1, token: 1 })
    expect(await releaseJob(db.sql, first)).toBe(true)
    expect(await job(db.sql, id)).toMatchObject({ state: 'pending', attempts: 0, claim_token: '1' })
    const second = await claim()
    // What fenced claims before tokens, (claimed_by, attempts), is the same for both claims.
    expect(second).toMatchObject({ id, attempts: 1, token: 2, workerId: first.workerId })

    const before = await snapshot(id)
    expect(await setStage(db.sql, first, 'transcribing')).toBe(false)
    expect(await attachVideo(db.sql, first, 'fence000001')).toBeUndefined()
    expect(await persistTranscript(db.sql, first, 'fence000001', OUTPUT)).toBeUndefined()
    expect(await failJob(db.sql, first, 'stale failure', 3, NO_WAIT)).toBeUndefined()
    expect(await releaseJob(db.sql, first)).toBe(false)
    expect(await snapshot(id)).toEqual(before)

    // The current claim writes as usual.
    expect(await setStage(db.sql, second, 'transcribing')).toBe(true)
    expect(await persistTranscript(db.sql, second, 'fence000001', OUTPUT)).toBeString()
    expect(await job(db.sql, id)).toMatchObject({ state: 'completed', claim_token: '2' })
  })

  test('after a sweep the old claim is fenced out, both while the job is pending and once it is claimed again', async () => {
    const [channel] = await db.sql<{ id: string }[]>`INSERT INTO jobs (kind, input_url) VALUES ('channel', 'https://www.youtube.com/@fencing') RETURNING id`
    const id = channel?.id ?? ''
    const stale = await claim('w/1')
    await Bun.sleep(5)
    expect((await sweepStuckJobs(db.sql, 0, 3, NO_WAIT)).map((j) => j.id)).toEqual([id])
    expect(await expandChannel(db.sql, stale, ['aaaaaaaaaaa'])).toBeUndefined()
    const current = await claim('w/2')
    expect(current.token).toBe(2)
    const before = await snapshot(id)
    expect(await expandChannel(db.sql, stale, ['aaaaaaaaaaa'])).toBeUndefined()
    expect(await setStage(db.sql, stale, 'persisting')).toBe(false)
    expect(await snapshot(id)).toEqual(before)
    expect(await expandChannel(db.sql, current, ['bbbbbbbbbbb'])).toEqual({ videos_found: 1, jobs_created: 1 })
    const children = await db.sql<{ youtube_id: string }[]>`SELECT meta->>'youtube_id' AS youtube_id FROM jobs WHERE meta->>'parent_job_id' = ${id}`
    expect(children.map((c) => c.youtube_id)).toEqual(['bbbbbbbbbbb'])
  })

  test('a stale worker\'s finished run is discarded and logged with both tokens; the newer result stays', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fencing-'))
    const release = join(tmp, 'go')
    const [id = ''] = await insertJobs(db.sql, ['stalerun001'])
    const staleLog = recordingLog()
    const workers: Worker[] = []
    const start = (log: typeof quietLog, stuckAfterSeconds: number, env: Record<string, string>) => {
      const w = startWorker({ sql: db.sql, log, argv: [FAKE], concurrency: 1, maxAttempts: 3, stuckAfterSeconds, retryBackoff: NO_WAIT, pollIntervalMs: 20, env })
      workers.push(w)
      return w
    }
    try {
      // A: its transcriber holds on until the test lets it go, long after A's claim was taken over.
      const a = start(staleLog, 900, { FAKE_WAIT_FOR: release, FAKE_SEGMENTS: '2' })
      await until('A to claim the job', 10_000, async () => (await job(db.sql, id)).claim_token === '1')
      // B: claims older than 1 s are stuck for it, so it sweeps A's claim and runs the job itself.
      const b = start(quietLog, 1, { FAKE_SEGMENTS: '5' })
      const done = await until('B to complete the job', 20_000, async () => {
        const j = await job(db.sql, id)
        return j.state === 'completed' && j
      })
      expect(done).toMatchObject({ claim_token: '2', attempts: 2 })
      expect(done.claimed_by).toStartWith(b.ids[0] ?? '?')

      writeFileSync(release, '')
      const stale = await until('A to discard its result', 20_000, async () => staleLog.records.find((r) => r.msg.startsWith('stale claim')))
      expect(stale).toMatchObject({
        level: 'warn',
        msg: "stale claim: this worker's result was discarded",
        fields: { job_id: id, token: 1, current_token: 2, state: 'completed', claimed_by: done.claimed_by, worker: a.ids[0] },
      })
      expect(staleLog.records.find((r) => r.msg === 'job done')?.fields).toMatchObject({ job_id: id, outcome: 'lost' })
      // B's transcript (5 segments), untouched by A's (2).
      const [stored] = await db.sql<{ transcripts: number; segments: number }[]>`
        SELECT count(DISTINCT t.id)::int AS transcripts, count(s.id)::int AS segments
        FROM videos v JOIN transcripts t ON t.video_id = v.id LEFT JOIN segments s ON s.transcript_id = t.id WHERE v.youtube_id = 'stalerun001'`
      expect(stored).toEqual({ transcripts: 1, segments: 5 })
      expect(await job(db.sql, id)).toMatchObject({ state: 'completed', claim_token: '2', meta: { segments: 5 } })
    } finally {
      writeFileSync(release, '')
      await Promise.all(workers.map((w) => w.stop(0)))
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})

describe('retry backoff', () => {
  test('the wait is base · 2^(attempt − 1), capped at the maximum, between half of that and all of it; the job is not claimable meanwhile', async () => {
    const [id = ''] = await insertJobs(db.sql, ['backoff0001'])
    const backoff = { baseMs: 1000, maxMs: 5000 }
    for (const [attempt, cap] of [[1, 1000], [2, 2000], [3, 4000], [4, 5000], [5, 5000], [9, 5000]] as const) {
      // Attempts 6–8 are skipped over: the formula is what matters, not the path there.
      if (attempt === 9) await db.sql`UPDATE jobs SET attempts = 8 WHERE id = ${id}`
      const c = await claim()
      expect(c.attempts).toBe(attempt)
      expect(await failJob(db.sql, c, 'boom', 10, backoff)).toMatchObject({ state: 'pending', retry_at: expect.any(Date) })
      const wait = await waitMs(id)
      expect(wait).toBeGreaterThanOrEqual(cap / 2)
      expect(wait).toBeLessThanOrEqual(cap)
      expect(await claimJob(db.sql, 'w/1')).toBeUndefined()
      await db.sql`UPDATE jobs SET retry_at = now() - interval '1 millisecond' WHERE id = ${id}` // the wait is over
    }
  })

  test('the jitter spreads jobs that failed together', async () => {
    const ids = await insertJobs(db.sql, Array.from({ length: 40 }, (_, i) => `jitter${String(i).padStart(5, '0')}`))
    for (const _ of ids) await failJob(db.sql, await claim(), 'boom', 3, { baseMs: 10_000, maxMs: 60_000 })
    const waits = await Promise.all(ids.map(waitMs))
    expect(waits.every((w) => w >= 5000 && w <= 10_000)).toBe(true)
    expect(new Set(waits.map(Math.round)).size).toBeGreaterThan(35)
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(1000)
  })

  test('a job waiting for its retry is passed over by the claim, not blocking the jobs behind it', async () => {
    const [first = '', second = ''] = await insertJobs(db.sql, ['waiting0001', 'behind00001'])
    await db.sql`UPDATE jobs SET priority = 10, retry_at = now() + interval '1 hour' WHERE id = ${first}`
    expect((await claim()).id).toBe(second)
    await db.sql`UPDATE jobs SET retry_at = now() - interval '1 second' WHERE id = ${first}`
    expect((await claim()).id).toBe(first)
  })

  test('the last attempt fails for good with no retry time; a stuck claim swept back to pending backs off too', async () => {
    const [id = ''] = await insertJobs(db.sql, ['lastlast001'])
    const c = await claim()
    expect(await failJob(db.sql, c, 'boom', 1, { baseMs: 1000, maxMs: 1000 })).toEqual({ state: 'failed', retry_at: null })
    expect(await job(db.sql, id)).toMatchObject({ state: 'failed', claimed_by: c.workerId, retry_at: null })

    const [swept = ''] = await insertJobs(db.sql, ['sweptswept1'])
    await claim()
    await Bun.sleep(5)
    const [row] = await sweepStuckJobs(db.sql, 0, 3, { baseMs: 60_000, maxMs: 60_000 })
    expect(row).toMatchObject({ id: swept, state: 'pending', retry_at: expect.any(Date) })
    const wait = await waitMs(swept)
    expect(wait).toBeGreaterThanOrEqual(30_000)
    expect(wait).toBeLessThanOrEqual(60_000)
    expect(await claimJob(db.sql, 'w/1')).toBeUndefined()
  })
})
