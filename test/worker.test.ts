import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type postgres from 'postgres'
import { startWorker, type Worker } from '../src/worker/index.ts'
import { parseTranscriptOutput, parseChannelListing, TranscriberOutputError } from '../src/worker/output.ts'
import { claimQuery, sweepStuckJobs, type RetryBackoff } from '../src/worker/queue.ts'
import { splitShellWords, ShellWordsError } from '../src/worker/shell-words.ts'
import { TranscriberCommandError, transcriberArgv } from '../src/worker/transcriber.ts'
import { describeNode, indexesOf, planNodes } from './support/explain.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'
import { FAKE, groupMembers, insertJobs, job, logLines, pidsIn, processAlive, processGroupOf, ROOT, until, videoUrl, type JobRow } from './worker-helpers.ts'

// The worker against the real PostgreSQL, with the real fake transcriber (a shell script): in-process
// loops where timing does not matter, separate `transcript-api worker` processes for the 4 × 200 run,
// SIGKILL and SIGTERM.

// Timing-heavy tests on machines that may be busy: waits are bounded by `until`, not by this.
setDefaultTimeout(60_000)

const tmp = mkdtempSync(join(tmpdir(), 'worker-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** A `transcript-api worker` process, its stdout collected for log assertions. */
class WorkerProcess {
  readonly proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>
  output = ''
  private readonly drained: Promise<void>

  constructor(url: string, env: Record<string, string>, args: string[] = []) {
    this.proc = Bun.spawn([process.execPath, 'src/main.ts', 'worker', '--poll-interval', '50', ...args], {
      cwd: ROOT,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...process.env, DATABASE_URL: url, TRANSCRIBE_CMD: FAKE, LOG_LEVEL: 'info', ...env },
    })
    const read = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder()
      for await (const chunk of stream) this.output += decoder.decode(chunk, { stream: true })
    }
    this.drained = Promise.all([read(this.proc.stdout), read(this.proc.stderr)]).then(() => undefined)
    spawned.push(this)
  }

  /** Its claimed_by prefix, from the "worker started" log line. */
  async started(): Promise<string> {
    try {
      // Generous: CI machines (and this one) may be busy with other suites.
      return await until('the worker to start', 45_000, async () => /"msg":"worker started","worker":"([^"]+)"/.exec(this.output)?.[1])
    } catch (err) {
      throw new Error(`${(err as Error).message}; its output: ${this.output.slice(-2000)}`)
    }
  }

  async exit(): Promise<number> {
    const code = await this.proc.exited
    await this.drained
    return code
  }
}
const spawned: WorkerProcess[] = []
/** Transcriber groups a test saw; should one outlive its worker (a failing test), it is ended here. */
const transcriberGroups: number[] = []
afterEach(() => {
  // Only the processes this suite started, by pid; normally they have all exited already.
  for (const w of spawned.splice(0)) if (w.proc.exitCode === null) w.proc.kill('SIGKILL')
  for (const g of transcriberGroups.splice(0)) if (groupMembers(g).length > 0) process.kill(-g, 'SIGKILL')
})

describe('TRANSCRIBE_CMD parsing: argv, never a shell', () => {
  test('quotes and escapes make single arguments', () => {
    expect(splitShellWords(`/opt/t.sh --model 'base en' "a \\"b\\"" c\\ d`)).toEqual(['/opt/t.sh', '--model', 'base en', 'a "b"', 'c d'])
    expect(splitShellWords(`  sh   script.sh  `)).toEqual(['sh', 'script.sh'])
    expect(splitShellWords(`x '$HOME|;&'`)).toEqual(['x', '$HOME|;&'])
  })
  test.each([`a | b`, `a; rm -rf /`, `a && b`, `a > out`, `a $(id)`, 'a `id`', `a "$HOME"`, `~/bin/t`, `FOO=1 a`, `'open`, `"open`, `a\\`, '   '])(
    '%p is refused',
    (command) => {
      expect(() => splitShellWords(command)).toThrow(ShellWordsError)
    },
  )
  test('TRANSCRIBE_CMD must name an executable', () => {
    expect(transcriberArgv(`${FAKE} --flag`)).toEqual([FAKE, '--flag'])
    expect(transcriberArgv('sh -c true')).toEqual(['sh', '-c', 'true'])
    for (const bad of ['/no/such/transcriber', 'no-such-command-anywhere', join(ROOT, 'package.json'), ROOT, 'a | b', '']) {
      expect(() => transcriberArgv(bad)).toThrow(TranscriberCommandError)
    }
  })
  test('the worker refuses to start with a bad or missing TRANSCRIBE_CMD (exit 2, naming it)', async () => {
    // Checked before connecting anywhere: the database URL is unreachable on purpose.
    const workers = ['', 'a | b'].map((cmd) => new WorkerProcess('postgres://postgres@127.0.0.1:1/none', { TRANSCRIBE_CMD: cmd }))
    for (const w of workers) {
      expect(await w.exit()).toBe(2)
      expect(w.output).toContain('config error: TRANSCRIBE_CMD must be a command that runs the transcriber')
    }
  })
})

describe('transcriber output', () => {
  test('JSON lines with metadata', () => {
    const out = parseTranscriptOutput(
      [
        '{"video":{"title":"T","channel_name":"C","duration_seconds":3,"uploaded_at":"2024-05-01"},"transcript":{"language":"en","model":"m"}}',
        '',
        '{"start_ms":0,"end_ms":1200,"text":" Hello. ","speaker_label":null}',
        '{"start_ms":1200,"end_ms":2000,"text":"World","speaker_label":"A","confidence":0.5}',
      ].join('\n'),
    )
    expect(out.format).toBe('jsonl')
    expect(out.video).toEqual({ title: 'T', channel_name: 'C', duration_seconds: 3, uploaded_at: '2024-05-01' })
    expect(out.transcript).toEqual({ language: 'en', model: 'm' })
    expect(out.segments).toEqual([
      { start_ms: 0, end_ms: 1200, text: 'Hello.', speaker_label: null, confidence: null },
      { start_ms: 1200, end_ms: 2000, text: 'World', speaker_label: 'A', confidence: 0.5 },
    ])
  })
  test('WebVTT', () => {
    const out = parseTranscriptOutput('WEBVTT\n\n00:00.000 --> 00:01.500\n<v Ann>Hi &amp; bye\n\n00:02.000 --> 00:03.000\nAgain\n')
    expect(out.format).toBe('vtt')
    expect(out.segments.map((s) => [s.start_ms, s.end_ms, s.text, s.speaker_label])).toEqual([
      [0, 1500, 'Hi & bye', 'Ann'],
      [2000, 3000, 'Again', null],
    ])
  })
  test.each([
    ['', /printed nothing/],
    ['hello', /line 1: not JSON/],
    ['[1]', /line 1: expected a JSON object/],
    ['{"start_ms":0,"end_ms":1,"text":"a","extra":1}', /unknown segment field "extra"/],
    ['{"start_ms":"0","end_ms":1,"text":"a"}', /numbers of milliseconds/],
    ['{"start_ms":5,"end_ms":1,"text":"a"}', /ends .* before it starts/],
    ['{"start_ms":0,"end_ms":1000,"text":"a"}\n{"start_ms":500,"end_ms":1500,"text":"b"}', /overlap/],
    ['{"start_ms":0,"end_ms":1000,"text":"  "}', /text is empty/],
    ['{"video":{"title":1}}', /video.title must be a string/],
    ['{"video":{"title":"x"}}', /no segments/],
    ['{"other":1}', /metadata line holds/],
    ['WEBVTT\n\n00:00.000 -> 00:01.000\nx', /invalid_vtt/],
  ])('%p is refused', (stdout, message) => {
    expect(() => parseTranscriptOutput(stdout)).toThrow(TranscriberOutputError)
    expect(() => parseTranscriptOutput(stdout)).toThrow(message)
  })
  test('channel listings: ids or video URLs, comments, duplicates', () => {
    expect(parseChannelListing('# uploads\naaaaaaaaaaa\n\nhttps://youtu.be/bbbbbbbbbbb\naaaaaaaaaaa\n')).toEqual(['aaaaaaaaaaa', 'bbbbbbbbbbb'])
    expect(() => parseChannelListing('aaaaaaaaaaa\nnot-an-id')).toThrow(/line 2/)
    expect(() => parseChannelListing('https://www.youtube.com/@someone')).toThrow(/a channel, not a video/)
  })
})

describe('in-process worker: states, retries, failures, channels', () => {
  let db: TestDatabase
  let worker: Worker | undefined
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true })
    // Every state a job or video row goes through, in order (test-only trigger).
    await db.sql.unsafe(`
      CREATE TABLE state_log (n bigserial, tbl text, row_id uuid, state job_state, at timestamptz);
      CREATE FUNCTION log_state() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO state_log (tbl, row_id, state, at) VALUES (TG_TABLE_NAME, NEW.id, NEW.state, clock_timestamp()); RETURN NEW; END $$;
      CREATE TRIGGER jobs_state_log AFTER INSERT OR UPDATE OF state ON jobs FOR EACH ROW EXECUTE FUNCTION log_state();
      CREATE TRIGGER videos_state_log AFTER INSERT OR UPDATE OF state ON videos FOR EACH ROW EXECUTE FUNCTION log_state();`)
  })
  afterEach(async () => {
    await worker?.stop(0)
    worker = undefined
  })
  afterAll(async () => {
    await db.drop()
  })

  const run = (env: Record<string, string>, options: { maxAttempts?: number; stuckAfterSeconds?: number; retryBackoff?: RetryBackoff } = {}) => {
    worker = startWorker({
      sql: db.sql,
      log: quietLog,
      argv: [FAKE],
      concurrency: 1,
      maxAttempts: options.maxAttempts ?? 3,
      stuckAfterSeconds: options.stuckAfterSeconds ?? 900,
      // Small waits keep the retry tests fast; the backoff test sets its own.
      retryBackoff: options.retryBackoff ?? { baseMs: 20, maxMs: 40 },
      pollIntervalMs: 20,
      env,
    })
    return worker
  }

  /** The distinct consecutive states a row went through. */
  async function walked(table: 'jobs' | 'videos', id: string): Promise<string[]> {
    const rows = await db.sql<{ state: string }[]>`SELECT state FROM state_log WHERE tbl = ${table} AND row_id = ${id} ORDER BY n`
    return rows.map((r) => r.state).filter((s, i, all) => s !== all[i - 1])
  }

  test('a single job walks downloading → transcribing → persisting → completed, and so does its video', async () => {
    const [id = ''] = await insertJobs(db.sql, ['walkwalk001'])
    run({ FAKE_SEGMENTS: '4' })
    await until('completion', 30_000, async () => (await job(db.sql, id)).state === 'completed')
    const done = await job(db.sql, id)
    expect(done.attempts).toBe(1)
    expect(done.error).toBeNull()
    expect(done.claimed_by).toStartWith(worker?.ids[0] ?? '?')
    expect(done.meta).toMatchObject({ youtube_id: 'walkwalk001', segments: 4, output_format: 'jsonl' })
    expect(await walked('jobs', id)).toEqual(['pending', 'downloading', 'transcribing', 'persisting', 'completed'])
    const [video] = await db.sql<{ id: string; job_id: string; title: string; channel_name: string; language: string; duration_seconds: number }[]>`
      SELECT id, job_id, title, channel_name, language, duration_seconds FROM videos WHERE youtube_id = 'walkwalk001'`
    expect(video).toMatchObject({ job_id: id, title: 'Fake video walkwalk001', channel_name: 'Fake Channel', language: 'en', duration_seconds: 8 })
    expect(await walked('videos', video?.id ?? '')).toEqual(['downloading', 'transcribing', 'persisting', 'completed'])
    const segments = await db.sql<{ idx: number; start_ms: number; end_ms: number; text: string; source: string; model: string }[]>`
      SELECT s.idx, s.start_ms, s.end_ms, s.text, t.source, t.model
      FROM segments s JOIN transcripts t ON t.id = s.transcript_id WHERE s.video_id = ${video?.id ?? ''} ORDER BY s.idx`
    expect(segments.map((s) => [s.idx, s.start_ms, s.end_ms, s.source, s.model])).toEqual([
      [0, 0, 1200, 'whisper', 'fake-1'],
      [1, 1500, 2700, 'whisper', 'fake-1'],
      [2, 3000, 4200, 'whisper', 'fake-1'],
      [3, 4500, 5700, 'whisper', 'fake-1'],
    ])
    expect(segments[0]?.text).toBe('Segment 0 of walkwalk001: the quick brown fox')
  })

  test('a finished job leaves no process behind, not even a zombie: the group\'s shell reaps the watcher and the transcriber', async () => {
    const pidFile = join(tmp, 'reaped.pid')
    const [id = ''] = await insertJobs(db.sql, ['reapreap001'])
    run({ FAKE_PID_FILE: pidFile, FAKE_SLEEP: '0.3' })
    const [pid = 0] = await pidsIn(pidFile, 1)
    const group = processGroupOf(pid) ?? 0
    expect(groupMembers(group).length).toBeGreaterThanOrEqual(3)
    await until('completion', 30_000, async () => (await job(db.sql, id)).state === 'completed')
    // At once: PID 1 may reap orphans late or never (this machine's does so about once a second).
    expect(groupMembers(group, { zombies: true })).toEqual([])
  })

  test('WebVTT output is stored too, and a second run replaces the transcript instead of adding one', async () => {
    const [first = ''] = await insertJobs(db.sql, ['vttvttvtt01'])
    run({ FAKE_FORMAT: 'vtt', FAKE_SEGMENTS: '5' })
    await until('completion', 30_000, async () => (await job(db.sql, first)).state === 'completed')
    await worker?.stop(0)
    const [second = ''] = await insertJobs(db.sql, ['vttvttvtt01'])
    run({ FAKE_FORMAT: 'vtt', FAKE_SEGMENTS: '2' })
    await until('completion', 30_000, async () => (await job(db.sql, second)).state === 'completed')
    const rows = await db.sql<{ transcripts: number; segments: number; speakers: string[] }[]>`
      SELECT (SELECT count(*)::int FROM transcripts t JOIN videos v ON v.id = t.video_id WHERE v.youtube_id = 'vttvttvtt01') AS transcripts,
             count(*)::int AS segments, array_agg(s.speaker_label ORDER BY s.idx) AS speakers
      FROM segments s JOIN videos v ON v.id = s.video_id WHERE v.youtube_id = 'vttvttvtt01'`
    expect(rows[0]).toEqual({ transcripts: 1, segments: 2, speakers: ['Speaker 0', 'Speaker 1'] })
    expect((await job(db.sql, second)).meta).toMatchObject({ output_format: 'vtt', segments: 2 })
  })

  test('a failing transcriber is retried up to WORKER_MAX_ATTEMPTS, then failed with exit code and stderr', async () => {
    const log = join(tmp, 'fail.log')
    const [id = ''] = await insertJobs(db.sql, ['failfail001'])
    run({ FAKE_FAIL: '7', FAKE_LOG: log }, { maxAttempts: 3 })
    await until('failure', 30_000, async () => (await job(db.sql, id)).state === 'failed')
    const failed = await job(db.sql, id)
    expect(failed.attempts).toBe(3)
    expect(failed.error).toStartWith('attempt 3 of 3: the transcriber exited with code 7')
    expect(failed.error).toContain('fake: ERROR: could not download https://www.youtube.com/watch?v=failfail001 (attempt 3)')
    expect(failed.error).not.toContain('::stage')
    expect(logLines(log).map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual([1, 2, 3].map((n) => `single ${videoUrl('failfail001')} ${n}`))
    expect(await walked('jobs', id)).toEqual(['pending', 'downloading', 'pending', 'downloading', 'pending', 'downloading', 'failed'])
    const [video] = await db.sql<{ state: string; error: string }[]>`SELECT state, error FROM videos WHERE youtube_id = 'failfail001'`
    expect(video?.state).toBe('failed')
    expect(video?.error).toContain('exited with code 7')
  })

  test('a failed attempt is not retried before its backoff: base · 2^(attempt − 1), capped, jittered down to half', async () => {
    const [id = ''] = await insertJobs(db.sql, ['backoff0001'])
    // Waits of 150–300 ms after attempt 1, then 250–500 ms (600 capped at 500) after attempts 2 and 3.
    run({ FAKE_FAIL: '3' }, { maxAttempts: 4, retryBackoff: { baseMs: 300, maxMs: 500 } })
    await until('failure', 30_000, async () => (await job(db.sql, id)).state === 'failed')
    const rows = await db.sql<{ state: string; at: Date }[]>`SELECT state, at FROM state_log WHERE tbl = 'jobs' AND row_id = ${id} ORDER BY n`
    const waits: number[] = []
    rows.forEach((r, i) => {
      const prev = rows[i - 1]
      if (r.state === 'downloading' && prev?.state === 'pending' && i > 1) waits.push(r.at.getTime() - prev.at.getTime())
    })
    console.log(`retry waits: ${waits.join(', ')} ms`)
    expect(waits).toHaveLength(3)
    // Lower bounds only (claims may come later: polling); a little slack for the clock reads.
    ;[150, 250, 250].forEach((floor, i) => expect(waits[i]).toBeGreaterThanOrEqual(floor - 5))
    expect((await job(db.sql, id)).retry_at).toBeNull()
  })

  test('a transient failure succeeds on the next attempt, and the error is cleared', async () => {
    const [id = ''] = await insertJobs(db.sql, ['flaky000001'])
    run({ FAKE_FAIL: '1', FAKE_FAIL_ATTEMPTS: '1' })
    await until('completion', 30_000, async () => (await job(db.sql, id)).state === 'completed')
    const done = await job(db.sql, id)
    expect(done.attempts).toBe(2)
    expect(done.error).toBeNull()
  })

  test('invalid output fails the attempt with the reason', async () => {
    const [id = ''] = await insertJobs(db.sql, ['garbage0001'])
    run({ FAKE_FORMAT: 'garbage' }, { maxAttempts: 1 })
    await until('failure', 30_000, async () => (await job(db.sql, id)).state === 'failed')
    expect((await job(db.sql, id)).error).toBe(
      'attempt 1 of 1: invalid transcriber output: line 1: not JSON (expected one JSON object per line, or a WebVTT file): "this is not a transcript"',
    )
  })

  test('a job whose URL cannot work fails at once, without running the transcriber', async () => {
    const log = join(tmp, 'bad-url.log')
    const [row] = await db.sql<{ id: string }[]>`
      INSERT INTO jobs (kind, input_url) VALUES ('single', 'https://www.youtube.com/watch?v=$(touch%20/tmp/x)') RETURNING id`
    run({ FAKE_LOG: log }, { maxAttempts: 3 })
    await until('failure', 30_000, async () => (await job(db.sql, row?.id ?? '')).state === 'failed')
    const failed = await job(db.sql, row?.id ?? '')
    expect(failed.attempts).toBe(1)
    expect(failed.error).toContain('not a YouTube video id')
    expect(logLines(log)).toEqual([])
  })

  test('a transcriber running past the claim lifetime is killed (its whole process group) and the attempt fails', async () => {
    const pidFile = join(tmp, 'slow.pid')
    const grandchildFile = join(tmp, 'slow-grandchild.pid')
    const [id = ''] = await insertJobs(db.sql, ['slowslow001'])
    const started = performance.now()
    // WORKER_STUCK_AFTER=5: the worker gives its transcriber 4 s, leaving 1 s to record the failure.
    run({ FAKE_SLEEP: '60', FAKE_PID_FILE: pidFile, FAKE_GRANDCHILD_PID_FILE: grandchildFile }, { maxAttempts: 1, stuckAfterSeconds: 5 })
    const [pid = 0] = await pidsIn(pidFile, 1)
    const [grandchild = 0] = await pidsIn(grandchildFile, 1)
    const group = processGroupOf(pid) ?? 0
    expect(processGroupOf(grandchild)).toBe(group)
    await until('failure', 30_000, async () => (await job(db.sql, id)).state === 'failed')
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThan(3900)
    expect(elapsed).toBeLessThan(20_000)
    expect((await job(db.sql, id)).error).toStartWith('attempt 1 of 1: the transcriber timed out after 4 s and was killed')
    await until('the transcriber and its grandchild to be gone', 15_000, async () => groupMembers(group).length === 0)
  })

  test('a channel job expands into video rows and child jobs, which complete; a re-run adds only what is new', async () => {
    const [channel] = await db.sql<{ id: string }[]>`
      INSERT INTO jobs (kind, input_url, priority, meta) VALUES ('channel', 'https://www.youtube.com/@fakechannel', 50, '{"channel":{"type":"handle","value":"fakechannel"}}')
      RETURNING id`
    const channelId = channel?.id ?? ''
    run({ FAKE_CHANNEL_VIDEOS: '4' })
    const children = await until('the children to complete', 30_000, async () => {
      const rows = await db.sql<(JobRow & { priority: number; input_url: string })[]>`
        SELECT id, state, attempts, priority, input_url, meta FROM jobs WHERE meta->>'parent_job_id' = ${channelId}`
      return rows.length === 4 && rows.every((r) => r.state === 'completed') && rows
    })
    const parent = await job(db.sql, channelId)
    expect(parent.state).toBe('completed')
    expect(parent.meta).toMatchObject({ videos_found: 4, jobs_created: 4 })
    expect(await walked('jobs', channelId)).toEqual(['pending', 'downloading', 'persisting', 'completed'])
    expect(children.every((c) => c.priority === 50)).toBe(true)
    const ids = children.map((c) => String(c.meta.youtube_id)).sort()
    expect(ids).toHaveLength(4)
    expect(children.every((c) => c.input_url === videoUrl(String(c.meta.youtube_id)))).toBe(true)
    const videos = await db.sql<{ youtube_id: string; state: string; transcripts: number }[]>`
      SELECT v.youtube_id, v.state, (SELECT count(*)::int FROM transcripts t WHERE t.video_id = v.id AND t.source = 'whisper') AS transcripts
      FROM videos v WHERE v.youtube_id IN ${db.sql(ids)} ORDER BY v.youtube_id`
    expect([...videos]).toEqual(ids.map((youtube_id) => ({ youtube_id, state: 'completed', transcripts: 1 })))

    // Listing again, with one more video: only the new one gets a job.
    const [again] = await db.sql<{ id: string }[]>`
      INSERT INTO jobs (kind, input_url) VALUES ('channel', 'https://www.youtube.com/@fakechannel') RETURNING id`
    await worker?.stop(0)
    run({ FAKE_CHANNEL_VIDEOS: '5' })
    await until('the second expansion', 30_000, async () => (await job(db.sql, again?.id ?? '')).state === 'completed')
    expect((await job(db.sql, again?.id ?? '')).meta).toMatchObject({ videos_found: 5, jobs_created: 1 })
  })
})

describe('4 worker processes × 200 jobs', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true })
  })
  afterAll(async () => {
    await db.drop()
  })

  test('each job is claimed exactly once and completed with its transcript', async () => {
    const log = join(tmp, 'claims.log')
    const workers = Array.from({ length: 4 }, () => new WorkerProcess(db.url, { FAKE_LOG: log, FAKE_SLEEP: '0.02' }))
    const names = await Promise.all(workers.map((w) => w.started()))
    // All four are polling before the jobs appear, so they compete for every one of them.
    const youtubeIds = Array.from({ length: 200 }, (_, i) => `load${String(i).padStart(7, '0')}`)
    const started = performance.now()
    const ids = await insertJobs(db.sql, youtubeIds)
    await until('200 completed jobs', 60_000, async () => {
      const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE state = 'completed'`
      return row?.n === 200
    })
    const seconds = (performance.now() - started) / 1000
    for (const w of workers) w.proc.kill('SIGTERM')
    expect(await Promise.all(workers.map((w) => w.exit()))).toEqual([0, 0, 0, 0])

    // The transcriber ran once per job: 200 lines, 200 distinct URLs, all on attempt 1.
    const lines = logLines(log).map((l) => l.split(' '))
    expect(lines).toHaveLength(200)
    expect(new Set(lines.map((l) => l[1])).size).toBe(200)
    expect(lines.every((l) => l[2] === '1')).toBe(true)

    const jobs = await db.sql<JobRow[]>`SELECT id, state, attempts, claimed_by, error, meta FROM jobs WHERE id IN ${db.sql(ids)}`
    expect(jobs.every((j) => j.state === 'completed' && j.attempts === 1 && j.error === null)).toBe(true)
    const perWorker = names.map((name) => jobs.filter((j) => j.claimed_by?.startsWith(`${name}/`)).length)
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(200)
    expect(perWorker.every((n) => n > 0)).toBe(true)
    console.log(`4 workers × 200 jobs: ${seconds.toFixed(2)} s (${(200 / seconds).toFixed(0)} jobs/s); claims per worker ${perWorker.join(', ')}`)

    const [counts] = await db.sql<{ videos: number; transcripts: number; segments: number }[]>`
      SELECT (SELECT count(*)::int FROM videos WHERE state = 'completed') AS videos,
             (SELECT count(*)::int FROM transcripts WHERE source = 'whisper') AS transcripts,
             (SELECT count(*)::int FROM segments) AS segments`
    expect(counts).toEqual({ videos: 200, transcripts: 200, segments: 600 })
  }, 180_000)
})

describe('worker processes: SIGKILL and SIGTERM', () => {
  // A database per test: a job left over by one test must not be claimed in the next.
  let db: TestDatabase
  beforeEach(async () => {
    db = await createTestDatabase({ migrated: true })
  })
  afterEach(async () => {
    for (const w of spawned.splice(0)) if (w.proc.exitCode === null) w.proc.kill('SIGKILL')
    await db.drop()
  })

  const claimedBy = (id: string, prefix: string) =>
    until(`job ${id} to be claimed by ${prefix}`, 30_000, async () => {
      const j = await job(db.sql, id)
      return j.state !== 'pending' && j.claimed_by?.startsWith(`${prefix}/`) && j
    })

  test('a worker killed with SIGKILL takes its transcribers\' process groups with it; after WORKER_STUCK_AFTER another worker finishes the jobs under new tokens', async () => {
    const runs = join(tmp, 'killed.log')
    const grandchildFile = join(tmp, 'killed-grandchildren.pid')
    const ids = await insertJobs(db.sql, ['killkill001', 'killkill002'])
    const settings = { WORKER_STUCK_AFTER: '5', WORKER_RETRY_BASE: '0' }
    // Two loops: two transcribers at once, so the test also shows that neither keeps the other's group alive.
    const a = new WorkerProcess(db.url, { ...settings, FAKE_SLEEP: '60', FAKE_LOG: runs, FAKE_GRANDCHILD_PID_FILE: grandchildFile }, ['--concurrency', '2'])
    const aName = await a.started()
    const claims = await Promise.all(ids.map((id) => claimedBy(id, aName)))
    const grandchildren = await pidsIn(grandchildFile, 2)
    const runLines = await until('both transcribers to start', 30_000, async () => logLines(runs).length === 2 && logLines(runs))
    // Each transcriber runs in a process group of its own: with its grandchild, and the watcher's shell.
    const groups = runLines.map((line) => processGroupOf(Number(line.split(' ')[3])) ?? 0)
    transcriberGroups.push(...groups)
    expect(new Set(groups).size).toBe(2)
    expect(grandchildren.map(processGroupOf).sort()).toEqual([...groups].sort())
    const members = groups.flatMap((g) => groupMembers(g))
    expect(members.length).toBeGreaterThanOrEqual(8)

    a.proc.kill('SIGKILL')
    await a.exit()
    const killed = performance.now()
    await until('every process of both groups to be gone', 2000, async () => groups.every((g) => groupMembers(g).length === 0))
    console.log(`SIGKILL of the worker: ${members.length} processes in 2 groups gone after ${Math.round(performance.now() - killed)} ms`)
    expect(members.filter(processAlive)).toEqual([])

    for (const [i, id] of ids.entries()) {
      const stranded = await job(db.sql, id)
      expect(stranded).toMatchObject({ state: 'downloading', claimed_by: claims[i]?.claimed_by ?? '?', claim_token: '1' })
    }
    const b = new WorkerProcess(db.url, settings)
    const bName = await b.started()
    const done = await until('both jobs to be finished by worker B', 40_000, async () => {
      const rows = await Promise.all(ids.map((id) => job(db.sql, id)))
      return rows.every((j) => j.state === 'completed') && rows
    })
    for (const [i, finished] of done.entries()) {
      expect(finished.claimed_by).toStartWith(`${bName}/`)
      expect(finished).toMatchObject({ attempts: 2, claim_token: '2' })
      // Not re-queued before the claim was WORKER_STUCK_AFTER seconds old.
      const [age] = await db.sql<{ s: number }[]>`SELECT extract(epoch FROM ${finished.claimed_at} - ${claims[i]?.claimed_at ?? null}::timestamptz)::float AS s`
      expect(age?.s).toBeGreaterThanOrEqual(5)
      expect(b.output).toContain(claims[i]?.claimed_by ?? '?')
    }
    expect(b.output).toContain('"msg":"re-queued a stuck job"')
    b.proc.kill('SIGTERM')
    expect(await b.exit()).toBe(0)
    const [transcripts] = await db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM transcripts t JOIN videos v ON v.id = t.video_id WHERE v.youtube_id IN ('killkill001', 'killkill002')`
    expect(transcripts?.n).toBe(2)
  }, 120_000)

  test('SIGTERM while a job runs: the worker finishes it within the grace period and exits 0', async () => {
    const envFile = join(tmp, 'env.txt')
    const [id = ''] = await insertJobs(db.sql, ['termdone001'])
    const w = new WorkerProcess(db.url, { FAKE_SLEEP: '1', FAKE_ENV_FILE: envFile, ADMIN_TOKEN: 'worker-test-admin-token-0123456789abcdef' }, ['--shutdown-grace', '20'])
    const name = await w.started()
    await claimedBy(id, name)
    w.proc.kill('SIGTERM')
    expect(await w.exit()).toBe(0)
    const done = await job(db.sql, id)
    expect(done.state).toBe('completed')
    expect(done.attempts).toBe(1)
    expect(w.output).toContain('"msg":"worker stopping: finishing held jobs"')
    // What the transcriber was told, and what it was not: the worker's credentials.
    const env = readFileSync(envFile, 'utf8')
    expect(env).toContain(`TRANSCRIBE_JOB_ID=${id}\n`)
    expect(env).toContain('TRANSCRIBE_KIND=single\n')
    expect(env).toContain('TRANSCRIBE_ATTEMPT=1\n')
    expect(env).not.toMatch(/^(DATABASE_URL|ADMIN_TOKEN|TRANSCRIBE_CMD)=/m)
  }, 90_000)

  test('SIGTERM past the grace period: the transcriber\'s whole group is killed after the grace, the job goes back to pending, the worker exits 0', async () => {
    const pidFile = join(tmp, 'term.pid')
    const grandchildFile = join(tmp, 'term-grandchild.pid')
    const [id = ''] = await insertJobs(db.sql, ['termslow001'])
    const w = new WorkerProcess(db.url, { FAKE_SLEEP: '60', FAKE_PID_FILE: pidFile, FAKE_GRANDCHILD_PID_FILE: grandchildFile }, ['--shutdown-grace', '2'])
    const name = await w.started()
    await claimedBy(id, name)
    const [pid = 0] = await pidsIn(pidFile, 1)
    const [grandchild = 0] = await pidsIn(grandchildFile, 1)
    const group = processGroupOf(pid) ?? 0
    transcriberGroups.push(group)
    expect(processGroupOf(grandchild)).toBe(group)
    const members = groupMembers(group)
    expect(members).toEqual(expect.arrayContaining([pid, grandchild]))
    const signalled = performance.now()
    w.proc.kill('SIGTERM')
    // Half-way through the grace period the job may still finish: nothing of its group is touched.
    await Bun.sleep(1000)
    expect(members.filter(processAlive)).toEqual(members)
    expect(await w.exit()).toBe(0)
    const exitedAfter = performance.now() - signalled
    expect(exitedAfter).toBeGreaterThanOrEqual(2000)
    expect(exitedAfter).toBeLessThan(15_000)
    await until('the whole group to be gone', 2000, async () => groupMembers(group).length === 0)
    expect(members.filter(processAlive)).toEqual([])
    const released = await job(db.sql, id)
    // Released: the attempt does not count and the job may run again at once; its token stays used.
    expect(released).toMatchObject({ state: 'pending', attempts: 0, claimed_by: null, claimed_at: null, retry_at: null, claim_token: '1' })
    const [video] = await db.sql<{ state: string }[]>`SELECT state FROM videos WHERE youtube_id = 'termslow001'`
    expect(video?.state).toBe('pending')
    expect(w.output).toContain('grace period over: releasing held jobs')

    // Released, not lost: the next worker takes it.
    const next = new WorkerProcess(db.url, {})
    await next.started()
    await until('the released job to complete', 30_000, async () => (await job(db.sql, id)).state === 'completed')
    next.proc.kill('SIGTERM')
    expect(await next.exit()).toBe(0)
    expect(await job(db.sql, id)).toMatchObject({ attempts: 1, claim_token: '2' })
  }, 120_000)
})

describe('EXPLAIN: the queue queries use their indexes (60,000 jobs, after ANALYZE)', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true })
    // A realistic queue: mostly finished work, some pending (half of those waiting for a retry), a few in flight.
    await db.sql`
      INSERT INTO jobs (kind, input_url, state, priority, claimed_by, claimed_at, retry_at, created_at)
      SELECT 'single', 'https://www.youtube.com/watch?v=q' || lpad(i::text, 10, '0'),
             (CASE WHEN i % 20 = 0 THEN 'pending' WHEN i % 500 = 1 THEN 'transcribing' WHEN i % 97 = 0 THEN 'failed' ELSE 'completed' END)::job_state,
             CASE WHEN i % 7 = 0 THEN 50 ELSE 100 END,
             CASE WHEN i % 20 = 0 THEN NULL ELSE 'w' END,
             CASE WHEN i % 20 = 0 THEN NULL ELSE now() - interval '1 hour' END,
             CASE WHEN i % 40 = 0 THEN now() + interval '1 hour' END,
             now() - i * interval '1 second'
      FROM generate_series(1, 60000) AS i`
    await db.sql`ANALYZE jobs`
  })
  afterAll(async () => {
    await db.drop()
  })

  async function plan<T extends readonly object[]>(query: postgres.PendingQuery<T>): Promise<{ nodes: string[]; indexes: string[] }> {
    const found = await planNodes(db.sql, query)
    return { nodes: found.map(describeNode), indexes: indexesOf(found) }
  }

  test('the claim walks jobs_queue_ordering_idx in (priority, created_at) order, passing over jobs waiting for a retry: no seq scan, no sort', async () => {
    const { nodes, indexes } = await plan(claimQuery(db.sql, 'explain'))
    expect(indexes).toContain('jobs_queue_ordering_idx')
    expect(nodes).toContain('LockRows')
    expect(nodes).not.toContain('Seq Scan on jobs')
    expect(nodes).not.toContain('Sort')
    console.log(`claim plan: ${nodes.join(' → ')} [${indexes.join(', ')}]`)
  })

  test('the claim takes the lowest priority first, then the oldest, of the jobs not waiting for a retry', async () => {
    const [waiting] = await db.sql<{ priority: number; created_at: Date }[]>`
      SELECT priority, created_at FROM jobs WHERE state = 'pending' ORDER BY priority, created_at LIMIT 1`
    const [next] = await db.sql<{ priority: number; created_at: Date }[]>`
      SELECT priority, created_at FROM jobs WHERE state = 'pending' AND retry_at IS NULL ORDER BY priority, created_at LIMIT 1`
    // The front of the queue is a job still backing off: the claim must pass over it.
    expect(waiting).not.toEqual(next)
    const [claimed] = await claimQuery(db.sql, 'order-check')
    const [row] = await db.sql<{ priority: number; created_at: Date }[]>`SELECT priority, created_at FROM jobs WHERE id = ${claimed?.id ?? ''}`
    expect(row).toEqual(next)
  })

  test('the stuck-claim sweep uses jobs_claimed_at_idx', async () => {
    const { nodes, indexes } = await plan(sweepStuckJobs(db.sql, 900, 3, { baseMs: 30_000, maxMs: 3_600_000 }))
    expect(indexes).toContain('jobs_claimed_at_idx')
    expect(nodes).not.toContain('Seq Scan on jobs')
  })
})
