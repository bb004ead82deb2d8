import { afterAll, beforeAll, expect, test } from 'bun:test'
import postgres from 'postgres'
import { seedDatabase } from '../src/seed/index.ts'
import { NO_RATE_LIMITS } from './support/app.ts'
import { privatePostgres, type PrivatePostgres } from './support/private-postgres.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'
import { until } from './support/until.ts'
import { FAKE, insertJobs } from './worker-helpers.ts'

// PostgreSQL SIGKILLed (a crashed host, a failover) while the server and the worker are busy with
// transactions: every search, transcript replace and job persist is a sql.begin. postgres.js 3.4.9
// then sent begin's own ROLLBACK to the dead connection and threw `socket.write` on null from a
// setImmediate, an uncaught TypeError that ended either process with exit 1 (porsager/postgres#1208);
// the patch in patches/postgres@3.4.9.patch is what these tests hold in place.

const TOKEN = 'db-kill-admin-token-0123456789abcdef'
const WORKERS = 12
const SEARCH_WORDS = ['know', 'people', 'time', 'really', 'think', 'going']

interface Answer {
  phase: 'up' | 'down' | 'back'
  what: 'search' | 'put'
  /** HTTP status, 0 for a network error (a reset: the server died or dropped the connection). */
  status: number
  body: string
}

let pg: PrivatePostgres
let server: ServerProcess
let videoIds: string[]

beforeAll(async () => {
  pg = await privatePostgres()
  server = await startServer(['bun', 'src/main.ts', 'serve'], {
    env: {
      DATABASE_URL: pg.url,
      ADMIN_TOKEN: TOKEN,
      // The load is one client: with limits it would meet 429s, which say nothing about the database.
      ...NO_RATE_LIMITS,
    },
  })
  const sql = postgres(pg.url, { max: 2, onnotice: () => {} })
  try {
    await seedDatabase(sql, { videos: 60, segmentsPerVideo: 30, seed: 7 })
    videoIds = (await sql<{ id: string }[]>`SELECT id FROM videos ORDER BY id LIMIT 24`).map((r) => r.id)
  } finally {
    await sql.end()
  }
}, 60_000)

afterAll(async () => {
  if (server?.proc.exitCode === null) await server.stop()
  await pg?.destroy()
}, 30_000)

let sequence = 0
/** A search no earlier one asked (a distinct exclusion and limit), so the cache never answers it. */
function search(): Promise<Response> {
  const n = ++sequence
  const q = `${SEARCH_WORDS[n % SEARCH_WORDS.length]} -zq${n}`
  return fetch(`${server.baseUrl}/search?q=${encodeURIComponent(q)}&limit=${(n % 100) + 1}`)
}

function putTranscript(videoId: string, text: string): Promise<Response> {
  const segments = Array.from({ length: 40 }, (_, k) => ({ start_ms: k * 1000, end_ms: k * 1000 + 900, text: `${text} ${k}` }))
  return fetch(`${server.baseUrl}/videos/${videoId}/transcript?source=whisper`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ segments }),
  })
}

async function answer(phase: Answer['phase'], what: Answer['what'], send: () => Promise<Response>): Promise<Answer> {
  try {
    const res = await send()
    return { phase, what, status: res.status, body: await res.text() }
  } catch (err) {
    return { phase, what, status: 0, body: String(err) }
  }
}

/** 200 from the database, or 503 database_unavailable JSON; anything else (500, a reset) is a failure. */
function expected(a: Answer): boolean {
  if (a.status === 200) return true
  if (a.status !== 503) return false
  try {
    return (JSON.parse(a.body) as { error?: { code?: string } }).error?.code === 'database_unavailable'
  } catch {
    return false
  }
}

test('SIGKILL of PostgreSQL under a load of transactions: the server stays up, answers 503 JSON while it is down, serves reads and writes once it is back', async () => {
  let exitCode: number | null = null
  void server.proc.exited.then((code) => (exitCode = code))
  /** Fails at once, with what the server printed last, when it has exited (instead of waiting out a bound). */
  const alive = () => {
    if (exitCode === null) return
    const last = server.output().split('\n').filter((l) => !l.includes('"msg":"request"')).slice(-12).join('\n')
    throw new Error(`the server exited with ${exitCode}; its last lines:\n${last}`)
  }

  let phase: Answer['phase'] = 'up'
  let running = true
  const answers: Answer[] = []
  const loops = Array.from({ length: WORKERS }, async (_, w) => {
    for (let i = 0; running; i++) {
      // A third of the load replaces transcripts (a delete and a multi-row insert in one transaction).
      const a = w % 3 === 0 ? await answer(phase, 'put', () => putTranscript(videoIds[(w * 31 + i) % videoIds.length] as string, `load ${w}.${i}`)) : await answer(phase, 'search', search)
      answers.push(a)
      // A 503 comes back at once: a short pause keeps the outage from becoming a busy loop on a small machine.
      if (a.status !== 200) await Bun.sleep(5)
    }
  })

  // Transactions in flight on every pooled connection when PostgreSQL dies.
  await until(() => answers.filter((a) => a.status === 200).length >= 60, 15_000, '60 answers before the crash')
  phase = 'down'
  await pg.crash()
  try {
    await Bun.sleep(1500)
    alive()
  } finally {
    // Up again even when this test fails, for the next one.
    phase = 'back'
    await pg.start()
  }
  // The breaker probes and the pool reconnects: the load is served by the database again.
  const backFrom = answers.length
  await until(
    () => {
      alive()
      const back = answers.slice(backFrom)
      return back.some((a) => a.what === 'search' && a.status === 200) && back.some((a) => a.what === 'put' && a.status === 200)
    },
    10_000,
    'a search and a write served after the restart',
  )
  running = false
  await Promise.all(loops)

  expect(exitCode).toBeNull()
  expect(server.proc.exitCode).toBeNull()
  const unexpected = answers.filter((a) => !expected(a)).map((a) => `${a.phase} ${a.what} ${a.status} ${a.body.slice(0, 200)}`)
  expect(unexpected).toEqual([])
  // The outage was seen: requests sent while PostgreSQL was dead were answered 503, not held.
  expect(answers.filter((a) => a.phase === 'down' && a.status === 503).length).toBeGreaterThan(0)
  expect(server.output()).not.toContain('TypeError')
  expect(server.output()).toContain('"msg":"database reachable again"')

  // After the restart every read and write succeeds, and a write is really stored.
  // (A pooled connection whose reconnect is stuck behind the dead socket's buffered bytes answers 503
  // CONNECT_TIMEOUT here, seconds after the others are fine.)
  const searches = await Promise.all(Array.from({ length: 20 }, () => search().then((res) => res.status)))
  expect(searches).toEqual(Array(20).fill(200))
  const [first] = videoIds
  if (!first) throw new Error('no seeded video')
  for (let i = 0; i < 5; i++) expect((await putTranscript(videoIds[i] as string, `after ${i}`)).status).toBe(200)
  const put = await putTranscript(first, 'stored after the restart')
  expect(put.status).toBe(200)
  const read = await fetch(`${server.baseUrl}/videos/${first}/transcript?source=whisper`)
  expect(read.status).toBe(200)
  const transcript = (await read.json()) as { segments: { text: string }[] }
  expect(transcript.segments[0]?.text).toBe('stored after the restart 0')
  expect(server.proc.exitCode).toBeNull()
}, 40_000)

/** This test's jobs completed so far (not the seed's), through a client of its own (PostgreSQL may have been restarted since the last call). */
async function completedJobs(): Promise<number> {
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE state = 'completed' AND meta->>'youtube_id' LIKE 'kill%'`
    return row?.n ?? 0
  } finally {
    await sql.end()
  }
}

test('SIGKILL of PostgreSQL while the worker persists transcripts: the worker stays up and completes jobs again once it is back', async () => {
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  try {
    await insertJobs(sql, Array.from({ length: 3000 }, (_, i) => `kill${String(i).padStart(7, '0')}`))
  } finally {
    await sql.end()
  }
  let output = ''
  const worker = Bun.spawn(['bun', 'src/main.ts', 'worker', '--concurrency', '8', '--poll-interval', '10'], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    // 200 segments a video: each persist is a transaction long enough to be cut off.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: pg.url, TRANSCRIBE_CMD: FAKE, FAKE_SEGMENTS: '200', LOG_LEVEL: 'info' },
  })
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true })
  }
  const drained = Promise.all([read(worker.stdout), read(worker.stderr)])
  let exitCode: number | null = null
  void worker.exited.then((code) => (exitCode = code))
  const alive = () => {
    if (exitCode !== null) throw new Error(`the worker exited with ${exitCode}; its last output:\n${output.slice(-1500)}`)
  }
  try {
    const completed = (n: number) => async () => {
      alive()
      return (await completedJobs()) >= n
    }
    await until(completed(40), 20_000, '40 jobs completed before the crash')
    const before = await completedJobs()
    await pg.crash()
    try {
      await Bun.sleep(1500)
      alive()
    } finally {
      await pg.start()
    }
    // Jobs cut off mid-persist stay claimed until the sweep; the other loops go on with new ones.
    await until(completed(before + 40), 15_000, '40 more jobs completed after the restart')
    expect(output).not.toContain('TypeError')
    worker.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
  } finally {
    if (worker.exitCode === null) worker.kill('SIGKILL')
    await drained
  }
}, 45_000)
