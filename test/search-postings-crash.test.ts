import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readFile } from 'node:fs/promises'
import { CursorCodec } from '../src/http/cursor-codec.ts'
import { parseSearchQuery } from '../src/modules/search/params.ts'
import { explainSearch, searchSegments } from '../src/modules/search/queries.ts'
import { createPool, type Sql } from '../src/platform/db.ts'
import { migrate } from '../src/platform/migrate.ts'
import { MIGRATION_FILES } from '../src/platform/migration-files.ts'
import { quietLog } from './support/postgres.ts'
import { privatePostgres, type PrivatePostgres } from './support/private-postgres.ts'
import { walkPages } from './support/search-pages.ts'
import { postingsAgainstSegments, termRank } from './support/search-postings.ts'
import { makeText, prng, type Op, type WorkloadConfig, type WorkloadResult } from './support/search-postings-workload.ts'

// search_postings is kept equal to the terms of segments.text_tsv by statement-level triggers, in
// the writing transaction (sql/0011). This kills a private PostgreSQL (SIGKILL to the postmaster
// and every backend: no shutdown checkpoint, WAL replay on restart) while writers replace
// transcripts (the app's and the worker's way) and change single segments, and readers page
// through searches; then checks that the postings equal the truth computed from the segments
// (during the run and after recovery), that every read saw one consistent state, and that pages
// walked after recovery equal the SQL truth. It would catch, e.g., postings made UNLOGGED (emptied
// by crash recovery), maintained outside the writing transaction, or a search reading several
// snapshots. The shared server on 5432 is never touched.

const CRASH_AFTER_MS = 1500
const RUN_AFTER_RESTART_MS = 2000
const DOWN_MS = 1000

/** Invented words (absent from English, so the stemmer's output is pinned below). */
const LEXEME: Record<string, string> = { zorblat: 'zorblat', quiffle: 'quiffl', mendrax: 'mendrax', plovik: 'plovik', trundel: 'trundel', frimbo: 'frimbo', filler: 'filler' }
/** Repeats make tiers 2 and 3 and the 'zorblat zorblat' pair common. */
const TOKENS = ['zorblat', 'zorblat', 'zorblat', 'quiffle', 'quiffle', 'mendrax', 'plovik', 'trundel', 'frimbo', 'filler']

/** Tier-path queries (a word, a phrase, an OR of up to 3 terms, an exclusion) and their terms. */
const QUERIES: { q: string; terms: string[] }[] = [
  { q: 'zorblat', terms: ['zorblat'] },
  { q: 'quiffle', terms: ['quiffl'] },
  { q: 'zorblat or mendrax', terms: ['zorblat', 'mendrax'] },
  { q: '"zorblat quiffle"', terms: ['zorblat quiffl'] },
  { q: '"zorblat zorblat"', terms: ['zorblat zorblat'] },
  { q: '"mendrax plovik" or trundel', terms: ['mendrax plovik', 'trundel'] },
  { q: 'frimbo or plovik or zorblat', terms: ['frimbo', 'plovik', 'zorblat'] },
  { q: 'zorblat -quiffle', terms: ['zorblat'] },
  { q: '"zorblat quiffle mendrax"', terms: ['zorblat quiffl', 'quiffl mendrax'] },
]

const TOKEN = /^w(\d+)n(\d+)i(\d+)$/
const now = () => performance.timeOrigin + performance.now()

let pg: PrivatePostgres
let admin: Sql
const dataDir = () => `/tmp/transcript-api-pg-${pg.port}` // scripts/private-postgres.sh's layout

beforeAll(async () => {
  pg = await privatePostgres()
  admin = createPool(pg.url, { max: 2, applicationName: 'search-postings-crash admin' })
  await migrate(admin, MIGRATION_FILES, quietLog)
}, 60_000)

afterAll(async () => {
  await admin?.end({ timeout: 1 })
  await pg?.destroy()
}, 30_000)

test('a SIGKILLed PostgreSQL recovers with search_postings equal to the segments, and no read saw anything else', async () => {
  const sql = admin
  const [stems] = await sql<{ v: string }[]>`SELECT to_tsvector('english', ${Object.keys(LEXEME).join(' ')})::text AS v`
  // the terms of QUERIES are these lexemes
  expect(stems?.v).toBe(
    Object.values(LEXEME)
      .map((l, i) => [l, i + 1] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([l, i]) => `'${l}':${i}`)
      .join(' '),
  )

  // Videos: 4 replaced whole (writers 0-1 through the app's replaceTranscript, 2-3 as the worker's
  // persistTranscript does: DELETE the segments, one multi-row INSERT), one whose transcript two
  // writers (4, 5) change a row at a time, one never written after the start (writer 9).
  const video = async (n: number) => {
    const [row] = await sql<{ id: string }[]>`INSERT INTO videos (youtube_id, title, state) VALUES (${`crash_${n}`}, ${`Video ${n}`}, 'completed') RETURNING id`
    return row?.id as string
  }
  const transcript = async (videoId: string, source: 'whisper' | 'youtube') => {
    const [row] = await sql<{ id: string }[]>`INSERT INTO transcripts (video_id, source) VALUES (${videoId}, ${source}) RETURNING id`
    return row?.id as string
  }
  const replaced = await Promise.all([0, 1, 2, 3].map(video))
  const workerTranscripts = [await transcript(replaced[2] as string, 'youtube'), await transcript(replaced[3] as string, 'youtube')]
  const shared = await video(4)
  const sharedTranscript = await transcript(shared, 'whisper')
  const fixed = await video(9)
  const fixedTranscript = await transcript(fixed, 'whisper')
  const random = prng(20261204)
  const fixedRows = Array.from({ length: 300 }, (_, idx) => ({ transcript_id: fixedTranscript, video_id: fixed, idx, start_ms: idx, end_ms: idx + 1, text: makeText(random, TOKENS, 9, 0, idx) }))
  await sql`INSERT INTO segments ${sql(fixedRows, 'transcript_id', 'video_id', 'idx', 'start_ms', 'end_ms', 'text')}`
  const [before] = await sql<{ at: Date }[]>`SELECT pg_postmaster_start_time() AS at`
  const cursors = new CursorCodec('search-postings-crash-test-cursor-secret-0123456789abcdef')

  // The writers and readers run in a process of their own (test/support/search-postings-workload.ts
  // says why): started here, stopped by closing its stdin, it prints what it did and saw.
  const config: WorkloadConfig = { url: pg.url, replaced, workerTranscripts, shared, sharedTranscript, queries: QUERIES.map((x) => x.q), tokens: TOKENS, seed: 4242 }
  const workload = Bun.spawn(['bun', 'test/support/search-postings-workload.ts', JSON.stringify(config)], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })
  const stdout = workload.stdout.getReader()
  let out = ''
  const decoder = new TextDecoder()
  while (!out.includes('ready\n')) {
    const { value, done } = await stdout.read()
    if (done) throw new Error(`workload ended before it was ready: ${out} ${await new Response(workload.stderr).text()}`)
    out += decoder.decode(value, { stream: true })
  }
  let crashAt = 0
  let crashed = 0
  let upFrom = 0
  let restarted = 0
  let result: WorkloadResult
  try {
    await Bun.sleep(CRASH_AFTER_MS)
    crashAt = now()
    await pg.crash() // returns once the postmaster is gone
    crashed = now()
    // Down for a while, so that "nothing begun after the kill succeeded before the restart" is checked over a real window.
    await Bun.sleep(DOWN_MS)
    upFrom = now() // the server could not answer before it was started again
    await pg.start()
    restarted = now()
    await Bun.sleep(RUN_AFTER_RESTART_MS)
  } finally {
    workload.stdin.end()
    const stderr = new Response(workload.stderr).text()
    for (;;) {
      const { value, done } = await stdout.read()
      if (done) break
      out += decoder.decode(value, { stream: true })
    }
    const code = await workload.exited
    if (code !== 0) throw new Error(`workload exited ${code}: ${await stderr}`)
    result = JSON.parse(out.slice(out.indexOf('ready\n') + 'ready\n'.length)) as WorkloadResult
  }
  const { ops, pages, checks } = result
  const written = new Map([...result.written, ...fixedRows.map((r) => [r.text.split(' ')[0] as string, r.text] as [string, string])])
  const replacementSize = new Map(result.replacementSize)

  // (e) the fault happened: a new postmaster, which replayed WAL after an unclean stop
  const [after] = await sql<{ at: Date }[]>`SELECT pg_postmaster_start_time() AS at`
  expect(after?.at.getTime()).toBeGreaterThan(before?.at.getTime() ?? Number.POSITIVE_INFINITY)
  const log = await readFile(`${dataDir()}/server.log`, 'utf8')
  expect(log).toContain('database system was not properly shut down; automatic recovery in progress')

  // ... and the clients saw it: failures while it was down, successes before and after
  const of = (kind: Op['kind']) => {
    const mine = ops.filter((o) => o.kind === kind)
    return {
      okBefore: mine.filter((o) => o.ok && o.ended < crashAt).length,
      failed: mine.filter((o) => !o.ok && o.ended >= crashAt).length,
      okAfter: mine.filter((o) => o.ok && o.started > restarted).length,
      // begun after the kill and over before the server could answer again: cannot have succeeded
      okWhileDown: mine.filter((o) => o.ok && o.started > crashed && o.ended < upFrom).length,
      codes: [...new Set(mine.flatMap((o) => (o.code ? [o.code] : [])))].sort(),
    }
  }
  const figures = { write: of('write'), read: of('read'), check: of('check') }
  console.log(
    `search-postings-crash: port ${pg.port}, ${Math.round(restarted - crashed)} ms down; postgres.js null-socket throws (porsager/postgres#1208): ${result.driverCrashes};`,
    JSON.stringify(figures),
  )
  // patches/postgres@3.4.9.patch: a transaction whose connection dies rejects, never throws uncaught
  expect(result.driverCrashes).toBe(0)
  expect(result.otherUncaught).toEqual([])
  expect(result.unexpected).toEqual([])
  for (const kind of ['write', 'read', 'check'] as const) {
    const f = figures[kind]
    expect({ kind, okBefore: f.okBefore > 0, failed: f.failed > 0, okAfter: f.okAfter > 0, okWhileDown: f.okWhileDown }).toEqual({ kind, okBefore: true, failed: true, okAfter: true, okWhileDown: 0 })
  }
  expect(figures.write.okBefore + figures.write.okAfter).toBeGreaterThan(100)

  // (a) during the run, before and after the crash, every snapshot had postings equal to the truth
  const bad = checks.filter((c) => c.missing.length > 0 || c.extra.length > 0 || c.actual !== c.expected)
  expect(bad.slice(0, 3)).toEqual([])
  expect(checks.filter((c) => c.at < crashAt).length).toBeGreaterThan(2)
  expect(checks.filter((c) => c.at > restarted).length).toBeGreaterThan(2)

  // (a) after recovery, with the writers stopped: exactly the truth, both ways, as multisets
  const final = await postingsAgainstSegments(sql)
  expect({ missing: final.missing, extra: final.extra, count: final.actual }).toEqual({ missing: [], extra: [], count: final.expected })
  expect(final.actual).toBeGreaterThan(2000)

  // (b) no posting without its segment (or with another transcript), no segment without postings
  const [links] = await sql<{ orphans: number; moved: number; bare: number; segments: number }[]>`
    SELECT (SELECT count(*) FROM search_postings p WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.id = p.segment_id))::int AS orphans,
           (SELECT count(*) FROM search_postings p JOIN segments s ON s.id = p.segment_id WHERE p.transcript_id <> s.transcript_id)::int AS moved,
           (SELECT count(*) FROM segments s WHERE NOT EXISTS (SELECT 1 FROM search_postings p WHERE p.segment_id = s.id))::int AS bare,
           (SELECT count(*) FROM segments)::int AS segments`
  expect(links).toEqual({ orphans: 0, moved: 0, bare: 0, segments: expect.any(Number) })
  expect(links?.segments).toBeGreaterThan(200)

  // the btree indexes searches read (search_postings_order_idx) agree with their heaps after WAL replay
  await sql`CREATE EXTENSION IF NOT EXISTS amcheck`
  const indexes = await sql<{ name: string }[]>`
    SELECT c.relname AS name, bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
    WHERE i.indrelid IN ('segments'::regclass, 'search_postings'::regclass) AND a.amname = 'btree' ORDER BY 1`
  expect(indexes.map((i) => i.name)).toContain('search_postings_order_idx')

  // every segment holds a text that was sent, and each replaced transcript is one whole replacement
  const segments = await sql<{ video_id: string; idx: number; text: string }[]>`SELECT video_id, idx, text FROM segments ORDER BY video_id, idx`
  expect(segments.filter((s) => written.get(s.text.split(' ')[0] ?? '') !== s.text)).toEqual([])
  for (const [writer, videoId] of replaced.entries()) {
    const mine = segments.filter((s) => s.video_id === videoId)
    const attemptsSeen = [...new Set(mine.map((s) => TOKEN.exec(s.text.split(' ')[0] ?? '')?.[2]))]
    expect({ writer, attempts: attemptsSeen.length }).toEqual({ writer, attempts: 1 })
    const size = replacementSize.get(`${writer}:${attemptsSeen[0]}`)
    expect({ writer, idx: mine.map((s) => s.idx) }).toEqual({ writer, idx: Array.from({ length: size ?? -1 }, (_, i) => i) })
  }

  // (d) every page read during the run: hits in rank DESC, id ASC order, each once; each hit's
  // snippet is the whole text of one write, which matches the query and has the hit's rank
  // (postings and text of one state); a replaced transcript's hits on one page are of one replacement
  const problems: unknown[] = []
  const textsByQuery = new Map<string, Set<string>>()
  let hits = 0
  let sharedHits = 0
  for (const page of pages) {
    const key = (h: { id: number; rank: number }) => [h.rank, h.id] as const
    page.items.forEach((h, i) => {
      const prev = page.items[i - 1]
      if (prev && !(key(prev)[0] > key(h)[0] || (key(prev)[0] === key(h)[0] && prev.id < h.id))) problems.push({ q: page.q, order: [prev, h] })
    })
    if (new Set(page.items.map((h) => h.id)).size !== page.items.length) problems.push({ q: page.q, repeated: page.items.map((h) => h.id) })
    if (page.hasNext && page.items.length !== page.limit) problems.push({ q: page.q, short: page.items.length, limit: page.limit })
    const attemptOf = new Map<string, string>()
    for (const h of page.items) {
      hits++
      const whole = h.snippet.replaceAll('<mark>', '').replaceAll('</mark>', '')
      const token = whole.split(' ')[0] ?? ''
      const [, writer, attempt] = TOKEN.exec(token) ?? []
      if (written.get(token) !== whole || writer === undefined || attempt === undefined) {
        problems.push({ q: page.q, hit: h, unknownText: whole })
        continue
      }
      if (writer === '4' || writer === '5') sharedHits++
      if (Number(writer) < 4) {
        if ((attemptOf.get(writer) ?? attempt) !== attempt) problems.push({ q: page.q, writer, replacements: [attemptOf.get(writer), attempt] })
        attemptOf.set(writer, attempt)
      }
      textsByQuery.set(page.q, (textsByQuery.get(page.q) ?? new Set()).add(whole))
    }
  }
  for (const { q, terms } of QUERIES) {
    const texts = [...(textsByQuery.get(q) ?? [])]
    const truth = await sql<{ text: string; matches: boolean; rank: number }[]>`
      SELECT x.text, x.v @@ websearch_to_tsquery('english', ${q}) AS matches, ${termRank(sql, terms, sql`x.v`)} AS rank
      FROM (SELECT t AS text, to_tsvector('english', t) AS v FROM unnest(${texts}::text[]) t) x`
    const byText = new Map(truth.map((t) => [t.text, t]))
    for (const page of pages.filter((p) => p.q === q)) {
      for (const h of page.items) {
        const whole = h.snippet.replaceAll('<mark>', '').replaceAll('</mark>', '')
        const t = byText.get(whole)
        if (t && (!t.matches || t.rank !== h.rank)) problems.push({ q, hit: h, matches: t.matches, rank: t.rank })
      }
    }
  }
  expect(problems.slice(0, 5)).toEqual([])
  // the checks above had material: many hits, some of rows updated in place, pages after the restart
  expect(hits).toBeGreaterThan(500)
  expect(sharedHits).toBeGreaterThan(20)
  expect(pages.filter((p) => p.started > restarted && p.items.length > 0).length).toBeGreaterThan(10)

  // (c) after recovery every query, walked page by page, equals the SQL truth of the tier rank
  for (const { q, terms } of QUERIES) {
    expect({ q, path: (await explainSearch(sql, parseSearchQuery({ q }, cursors))).path }).toEqual({ q, path: 'tiers' })
    const truth = await sql<{ id: string; rank: number }[]>`
      SELECT s.id::text AS id, ${termRank(sql, terms)} AS rank
      FROM segments s, websearch_to_tsquery('english', ${q}) q
      WHERE s.text_tsv @@ q AND querytree(q) <> 'T'
      ORDER BY rank DESC, s.id`
    expect({ q, some: truth.length > 0 }).toEqual({ q, some: true })
    const expected = truth.map((r) => ({ id: Number(r.id), rank: r.rank }))
    for (const limit of [7, 50]) {
      const walked = await walkPages(limit, (cursor) => searchSegments(sql, parseSearchQuery({ q, limit: String(limit), ...(cursor ? { cursor } : {}) }, cursors)))
      const hits = walked.map((h) => ({ id: h.segment_id, rank: h.rank }))
      // the first difference first, so a failure names the query and the spot; then in full
      const at = expected.findIndex((r, i) => r.id !== hits[i]?.id || r.rank !== hits[i]?.rank)
      const firstDifference = at === -1 ? null : { at, walked: hits.slice(at, at + 3), truth: expected.slice(at, at + 3) }
      expect({ q, limit, count: hits.length, firstDifference }).toEqual({ q, limit, count: expected.length, firstDifference: null })
      expect(hits).toEqual(expected)
    }
  }
}, 60_000)
