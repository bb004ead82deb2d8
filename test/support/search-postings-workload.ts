import { replaceTranscript } from '../../src/modules/transcripts/queries.ts'
import { parseSearchQuery } from '../../src/modules/search/params.ts'
import { searchSegments } from '../../src/modules/search/queries.ts'
import { CursorCodec } from '../../src/http/cursor-codec.ts'
import { createPool } from '../../src/platform/db.ts'
import { Random } from '../../src/seed/prng.ts'
import { postingsAgainstSegments } from './search-postings.ts'

// The writers and readers of test/search-postings-crash.test.ts, in a process of their own: when
// a transaction's connection dies, unpatched postgres.js 3.4.9 throws from a setImmediate callback
// (nextWrite on a null socket: sql.begin's own ROLLBACK is written to the closed connection,
// porsager/postgres#1208). That escapes every await as an uncaughtException, which `bun test`
// would turn into a failure of whatever test runs. patches/postgres@3.4.9.patch fixes it; this
// process counts any that still escape, and the test requires none.
//
//   bun test/support/search-postings-workload.ts '<WorkloadConfig as JSON>'
// prints `ready` once running, runs until its stdin ends, then prints one line of WorkloadResult JSON.

export interface WorkloadConfig {
  url: string
  /** Video ids replaced whole by writers 0..3 (0-1 the app's way, 2-3 the worker's). */
  replaced: string[]
  /** The youtube transcripts of videos 2 and 3, whose segments writers 2-3 replace. */
  workerTranscripts: string[]
  /** The video and transcript whose rows writers 4 and 5 insert, update and delete one at a time. */
  shared: string
  sharedTranscript: string
  /** Searches the readers page through. */
  queries: string[]
  /** Words the texts are made of. */
  tokens: string[]
  seed: number
}

export interface Op {
  kind: 'write' | 'read' | 'check'
  /** Epoch milliseconds (performance.timeOrigin + now), comparable across processes. */
  started: number
  ended: number
  ok: boolean
  code?: string
}

export interface ReadPage {
  q: string
  limit: number
  started: number
  items: { id: number; rank: number; snippet: string }[]
  hasNext: boolean
}

export interface PostingsCheck {
  at: number
  missing: unknown[]
  extra: unknown[]
  expected: number
  actual: number
}

export interface WorkloadResult {
  ops: Op[]
  pages: ReadPage[]
  checks: PostingsCheck[]
  /** Every text sent, by its first word (`w<writer>n<attempt>i<idx>`, unique to one attempted write). */
  written: [string, string][]
  /** Segments of each attempted replacement, by `<writer>:<attempt>`. */
  replacementSize: [string, number][]
  /** Errors that were neither a broken nor a refused connection. */
  unexpected: { kind: string; message: string }[]
  /** postgres.js's nextWrite-on-a-null-socket throws (see above). */
  driverCrashes: number
  /** Any other uncaught error. */
  otherUncaught: string[]
}

/** Postgres.js and socket codes of a connection that broke or was refused, and the server's "going away"/"starting up" SQLSTATEs. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // src/platform/db-socket.ts: the server closed a new connection before answering it (it was dying)
  'CONNECTION_CLOSED_BEFORE_HANDSHAKE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
])
export const connectionCode = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && CONNECTION_CODES.has(code) ? code : undefined
}

const isDriverNullSocketWrite = (e: unknown) => e instanceof TypeError && /socket\.write|reading 'write'/.test(e.message) && (e.stack ?? '').includes('nextWrite')

/** The seed's generator as a function: reproducible texts and choices (the interleaving is not). */
export function prng(seed: number): () => number {
  const rng = new Random(seed, 'search-postings workload')
  return () => rng.next()
}

/**
 * A text of one token `w<writer>n<attempt>i<idx>` and 1 to 6 words, so that a hit's snippet is the
 * whole text: ts_headline (MaxFragments=1, MaxWords=20) was seen to leave out a word of some texts
 * of 9 words or more (1 in 10,000 at 9, 1 in 100 at 11), never of 8 or fewer.
 */
export function makeText(random: () => number, tokens: readonly string[], writer: number, attempt: number, idx: number): string {
  const words = Array.from({ length: 1 + Math.floor(random() * 6) }, () => tokens[Math.floor(random() * tokens.length)] as string)
  return [`w${writer}n${attempt}i${idx}`, ...words].join(' ')
}

const now = () => performance.timeOrigin + performance.now()

async function run(config: WorkloadConfig): Promise<WorkloadResult> {
  const random = prng(config.seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T
  const written = new Map<string, string>()
  const replacementSize = new Map<string, number>()
  const text = (writer: number, attempt: number, idx: number) => {
    const t = makeText(random, config.tokens, writer, attempt, idx)
    written.set(t.split(' ')[0] as string, t)
    return t
  }
  let attempts = 0
  let sharedIdx = 0

  const writers = createPool(config.url, { max: 8, applicationName: 'search-postings-crash writers' })
  const readers = createPool(config.url, { max: 4, applicationName: 'search-postings-crash readers' })
  const checker = createPool(config.url, { max: 1, applicationName: 'search-postings-crash checker' })
  const cursors = new CursorCodec('search-postings-crash-workload-cursor-secret-0123456789')

  const result: WorkloadResult = { ops: [], pages: [], checks: [], written: [], replacementSize: [], unexpected: [], driverCrashes: 0, otherUncaught: [] }
  process.on('uncaughtException', (e) => {
    if (isDriverNullSocketWrite(e)) result.driverCrashes++
    else result.otherUncaught.push(String((e as Error)?.stack ?? e))
  })
  let stopping = false

  /** Runs `body` until stopped, recording each run; a connection error is counted, any other is kept for the test to fail on. */
  const loop = async (kind: Op['kind'], body: () => Promise<void>, pauseMs = 0) => {
    while (!stopping) {
      const started = now()
      try {
        await body()
        result.ops.push({ kind, started, ended: now(), ok: true })
      } catch (e) {
        const code = connectionCode(e)
        result.ops.push({ kind, started, ended: now(), ok: false, ...(code ? { code } : {}) })
        if (!code) result.unexpected.push({ kind, message: `${(e as { code?: string }).code ?? ''} ${(e as Error).message}` })
        await Bun.sleep(20)
      }
      await Bun.sleep(pauseMs)
    }
  }

  const replaceLoop = (writer: number) =>
    loop('write', async () => {
      const attempt = ++attempts
      const count = 1 + Math.floor(random() * 25)
      replacementSize.set(`${writer}:${attempt}`, count)
      const segments = Array.from({ length: count }, (_, idx) => ({ start_ms: idx * 1000, end_ms: idx * 1000 + 900, text: text(writer, attempt, idx), speaker_label: null, confidence: null }))
      const videoId = config.replaced[writer] as string
      if (writer < 2) {
        // the app's way (PUT /videos/{id}/transcript): the transcript row and its segments go, a new one comes
        const summary = await replaceTranscript(writers, videoId, 'whisper', { language: 'en', model: 'crash-test', segments })
        if (!summary) throw new Error(`video ${videoId} is gone`)
        return
      }
      // the worker's way (src/worker/persist.ts): the segments go, one multi-row INSERT brings the new ones
      const transcriptId = config.workerTranscripts[writer - 2] as string
      const rows = segments.map((s, idx) => ({ transcript_id: transcriptId, video_id: videoId, idx, ...s }))
      await writers.begin(async (tx) => {
        await tx`DELETE FROM segments WHERE transcript_id = ${transcriptId}`
        await tx`INSERT INTO segments ${tx(rows, 'transcript_id', 'video_id', 'idx', 'start_ms', 'end_ms', 'text', 'speaker_label', 'confidence')}`
      })
    })

  // Both single-row writers pick their rows at random in one transcript, so they also update and
  // delete the same rows at once (a row lock wait, then the re-checked row).
  const singleLoop = (writer: number) =>
    loop('write', async () => {
      const attempt = ++attempts
      const r = random()
      if (r < 0.35) {
        const idx = sharedIdx++
        await writers`INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
          VALUES (${config.sharedTranscript}, ${config.shared}, ${idx}, ${idx}, ${idx + 1}, ${text(writer, attempt, 0)})`
      } else if (r < 0.75) {
        await writers`UPDATE segments SET text = ${text(writer, attempt, 0)}
          WHERE id = (SELECT id FROM segments WHERE transcript_id = ${config.sharedTranscript} ORDER BY random() LIMIT 1)`
      } else {
        await writers`DELETE FROM segments WHERE id = (SELECT id FROM segments WHERE transcript_id = ${config.sharedTranscript} ORDER BY random() LIMIT 1)`
      }
    })

  const readLoop = () =>
    loop('read', async () => {
      const q = pick(config.queries)
      const limit = pick([4, 9, 25])
      let cursor: string | undefined
      for (let n = 0; n < 3 && !stopping; n++) {
        const started = now()
        const res = await searchSegments(readers, parseSearchQuery({ q, limit: String(limit), ...(cursor ? { cursor } : {}) }, cursors))
        result.pages.push({ q, limit, started, hasNext: res.page_info.has_next_page, items: res.items.map((h) => ({ id: h.segment_id, rank: h.rank, snippet: h.snippet })) })
        cursor = res.page_info.next_cursor ?? undefined
        if (!cursor) break
      }
    })

  // One statement, one snapshot: the postings equal the segments at every moment, not only at the end.
  const checkLoop = () =>
    loop(
      'check',
      async () => {
        const r = await postingsAgainstSegments(checker)
        result.checks.push({ at: now(), ...r })
      },
      100,
    )

  const running = [0, 1, 2, 3].map(replaceLoop).concat([4, 5].map(singleLoop), [0, 1, 2].map(readLoop), [checkLoop()])
  console.log('ready')
  await Bun.stdin.text()
  stopping = true
  await Promise.all(running)
  await Promise.all([writers.end({ timeout: 1 }), readers.end({ timeout: 1 }), checker.end({ timeout: 1 })])
  result.written = [...written]
  result.replacementSize = [...replacementSize]
  return result
}

if (import.meta.main) {
  const result = await run(JSON.parse(process.argv[2] ?? '{}') as WorkloadConfig)
  // Bun.write resolves once the pipe took it all (process.stdout.write would be cut off by exit)
  await Bun.write(Bun.stdout, `${JSON.stringify(result)}\n`)
  process.exit(0)
}
