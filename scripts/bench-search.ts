// Search benchmark: 50 fixed GET /search queries (common and rare words, phrases, OR, exclusions, filters, second pages) run uncached through the route's own service, at one or more corpus sizes; prints p50/p95/max per size, the growth of p95 from the 1M-segment baseline, the plan of the slowest query and the index sizes.
//
//   bun scripts/bench-search.ts                    # the 1M-segment baseline only (10,000 videos × 100 segments)
//   bun scripts/bench-search.ts --videos 50000     # the growth table: 1M and 5M segments
//   bun scripts/bench-search.ts --videos 20000,50000 --runs 10
//   BENCH_EXPLAIN=1 bun scripts/bench-search.ts    # also prints the plans of the 5 slowest at each size
//
// DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/); each size has its
// own database, transcript_bench_<videos / 1000>k, created, migrated and seeded (seed 1, with
// COPY) when missing or empty, and reused afterwards. Every query runs once to warm up, then
// --runs times (default 5) in round-robin order, so no query profits from running right after itself;
// each run goes through every size in turn, so the sizes share the machine's noise.

import { parseArgs } from 'node:util'
import { createIfMissing } from '../loadtest/bench/database.ts'
import { CursorCodec, readCursorSecret } from '../src/http/cursor-codec.ts'
import { parseSearchQuery, type RawSearchQuery } from '../src/modules/search/params.ts'
import { explainSearch, searchSegments } from '../src/modules/search/queries.ts'
import { createPool, type Sql } from '../src/platform/db.ts'
import { createLogger } from '../src/platform/log.ts'
import { migrate } from '../src/platform/migrate.ts'
import { MIGRATION_FILES } from '../src/platform/migration-files.ts'
import { CHANNELS, TOPICS } from '../src/seed/catalog.ts'
import { seedDatabase } from '../src/seed/index.ts'
import { topicWordsOf } from '../src/seed/speech.ts'
import { VOCABULARY } from '../src/seed/vocabulary.ts'

const { values: args } = parseArgs({
  options: { videos: { type: 'string', default: '' }, runs: { type: 'string', default: '5' } },
  strict: true,
})
/** The baseline every growth ratio is taken against: 10,000 videos × 100 segments ≈ 1.07M segments. */
const BASELINE_VIDEOS = 10_000
const SEGMENTS_PER_VIDEO = 100
const SIZES = [...new Set([BASELINE_VIDEOS, ...(args.videos ?? '').split(',').filter((v) => v.trim() !== '').map(Number)])].sort((a, b) => a - b)
const RUNS = Number(args.runs)
if (SIZES.some((n) => !Number.isInteger(n) || n < 1000 || n % 1000 !== 0) || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error('usage: bun scripts/bench-search.ts [--videos N[,N…]] [--runs R]   (N: multiples of 1000; R ≥ 1)')
  process.exit(2)
}
const EXPLAIN = process.env.BENCH_EXPLAIN === '1'
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/'
const TARGET_P95_MS = 100
const log = createLogger('warn')

interface BenchQuery {
  label: string
  query: RawSearchQuery
  /** Measure the page after the first one (its cursor comes from the warm-up run). */
  secondPage?: boolean
}

/** Filled in from the database: a video with a transcript, for the video_id filter. */
interface Fixtures {
  videoId: string
}

// Words by frequency rank in the seed's vocabulary (0 = most frequent): stop words such as "you"
// and "the" are dropped by the English parser, so the common words here are the most frequent
// content words ("know" ≈ 4% of segments); rare ones sit near the end of the 4,000-word list.
function queries(f: Fixtures): BenchQuery[] {
  const channel = (name: string) => {
    if (!CHANNELS.some((c) => c.name === name)) throw new Error(`bench: no seed channel named ${name}`)
    return name
  }
  return [
    // common words: thousands to tens of thousands of matches each, all of which are ranked
    { label: 'common: know', query: { q: 'know' } },
    { label: 'common: go', query: { q: 'go' } },
    { label: 'common: get', query: { q: 'get' } },
    { label: 'common: like', query: { q: 'like' } },
    { label: 'common: right', query: { q: 'right' } },
    { label: 'common: think', query: { q: 'think' } },
    { label: 'common: time', query: { q: 'time' } },
    { label: 'common: people', query: { q: 'people' } },
    { label: 'common: money, limit 200', query: { q: 'money', limit: '200' } },
    { label: 'mid: coffee', query: { q: 'coffee' } },
    { label: 'mid: hospital', query: { q: 'hospital' } },
    { label: 'mid: computer', query: { q: 'computer' } },
    // rare words and topic words (a topic word only occurs in the videos about it)
    { label: 'rare: bargain', query: { q: 'bargain' } },
    { label: 'rare: pumpkin', query: { q: 'pumpkin' } },
    { label: 'rare: dentist', query: { q: 'dentist' } },
    { label: 'rare: elephant', query: { q: 'elephant' } },
    { label: 'topic: quantum', query: { q: 'quantum' } },
    { label: 'topic: sourdough', query: { q: 'sourdough' } },
    { label: 'topic: marathon training', query: { q: 'marathon training' } },
    // AND of several words
    { label: 'and: good morning everyone', query: { q: 'good morning everyone' } },
    { label: 'and: money business', query: { q: 'money business' } },
    { label: 'and: doctor hospital', query: { q: 'doctor hospital' } },
    // phrases (the seed's text is sampled word by word, so only frequent words form frequent phrases)
    { label: 'phrase: "come back"', query: { q: '"come back"' } },
    { label: 'phrase: "go get"', query: { q: '"go get"' } },
    { label: 'phrase: "know right"', query: { q: '"know right"' } },
    { label: 'phrase: "pretty good"', query: { q: '"pretty good"' } },
    { label: 'phrase or phrase: "know like" or "go get"', query: { q: '"know like" or "go get"' } },
    // OR
    { label: 'or: coffee or tea', query: { q: 'coffee or tea' } },
    { label: 'or: doctor or nurse or hospital', query: { q: 'doctor or nurse or hospital' } },
    { label: 'or: know or think (common)', query: { q: 'know or think' } },
    // exclusions
    { label: 'not: music -jazz', query: { q: 'music -jazz' } },
    { label: 'not: dinner -party', query: { q: 'dinner -party' } },
    { label: 'not: know -think (common)', query: { q: 'know -think' } },
    // filters
    { label: 'channel: quantum @ Northwind Science', query: { q: 'quantum', channel: channel('Northwind Science') } },
    { label: 'channel: know @ Open Lecture Hall', query: { q: 'know', channel: channel('Open Lecture Hall') } },
    { label: 'channel: coffee @ Crumb & Crust', query: { q: 'coffee', channel: channel('Crumb & Crust') } },
    { label: 'language: know @ de', query: { q: 'know', language: 'de' } },
    { label: 'language: coffee @ en', query: { q: 'coffee', language: 'en' } },
    { label: 'source: know @ youtube', query: { q: 'know', source: 'youtube' } },
    { label: 'source: hospital @ whisper', query: { q: 'hospital', source: 'whisper' } },
    { label: 'date: know in 2025', query: { q: 'know', date_from: '2025-01-01', date_to: '2025-12-31' } },
    { label: 'date: coffee before 2021', query: { q: 'coffee', date_to: '2020-12-31' } },
    { label: 'video: know in one video', query: { q: 'know', video_id: f.videoId } },
    { label: 'video: time or people in one video', query: { q: 'time or people', video_id: f.videoId } },
    { label: 'mixed: money @ en + whisper + since 2024', query: { q: 'money', language: 'en', source: 'whisper', date_from: '2024-01-01' } },
    // second pages, through the cursor of the first
    { label: 'page 2: know', query: { q: 'know' }, secondPage: true },
    { label: 'page 2: coffee', query: { q: 'coffee' }, secondPage: true },
    { label: 'page 2: "go get"', query: { q: '"go get"' }, secondPage: true },
    { label: 'page 2: music -jazz', query: { q: 'music -jazz' }, secondPage: true },
    { label: 'page 2: know @ Open Lecture Hall', query: { q: 'know', channel: channel('Open Lecture Hall') }, secondPage: true },
  ]
}

/** Fails loudly if the seed's word lists change under the benchmark. */
function checkWords(list: BenchQuery[]): void {
  const known = new Set<string>(VOCABULARY)
  for (const group of Object.values(TOPICS)) for (const topic of group) for (const w of topicWordsOf(topic)) known.add(w)
  for (const { query } of list) {
    for (const w of (query.q ?? '').toLowerCase().match(/[a-z]+/g) ?? []) {
      if (w !== 'or' && !known.has(w)) throw new Error(`bench: "${w}" is in neither the seed vocabulary nor its topics`)
    }
  }
}

function databaseUrl(videos: number): string {
  const url = new URL(SERVER_URL)
  url.pathname = `/transcript_bench_${videos / 1000}k`
  return url.toString()
}

async function openBenchDatabase(url: string): Promise<Sql> {
  await createIfMissing(url)
  return createPool(url, { max: 2, applicationName: 'bench-search' })
}

async function prepare(sql: Sql, videos: number): Promise<void> {
  await migrate(sql, MIGRATION_FILES, log)
  const [row] = await sql<{ any: boolean }[]>`SELECT EXISTS (SELECT 1 FROM segments) AS any`
  if (!row?.any) {
    console.log(`seeding ${videos.toLocaleString('en')} videos × ${SEGMENTS_PER_VIDEO} segments (seed 1); once per database`)
    const started = performance.now()
    await seedDatabase(sql, { videos, segmentsPerVideo: SEGMENTS_PER_VIDEO, seed: 1 })
    console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
  // Fresh statistics and visibility map: what a database that has been running a while has.
  await sql`VACUUM ANALYZE segments`
  await sql`VACUUM ANALYZE search_postings`
  await sql`VACUUM ANALYZE transcripts`
  await sql`VACUUM ANALYZE videos`
}

interface Environment {
  version: string
  sharedBuffers: string
  segments: number
  /** name → size: the heap, every index on segments, then the search postings and their index */
  sizes: [string, string][]
  /** segments + its indexes exceed shared_buffers */
  spills: boolean
}

async function environment(sql: Sql): Promise<Environment> {
  const [row] = await sql<{ version: string; shared_buffers: string; buffers_bytes: string; search_bytes: string; segments: string; table: string }[]>`
    SELECT current_setting('server_version') AS version, current_setting('shared_buffers') AS shared_buffers,
           pg_size_bytes(current_setting('shared_buffers'))::text AS buffers_bytes,
           pg_total_relation_size('segments')::text AS search_bytes,
           (SELECT reltuples::bigint::text FROM pg_class WHERE oid = 'segments'::regclass) AS segments,
           pg_size_pretty(pg_table_size('segments')) AS table`
  const indexes = await sql<{ name: string; size: string }[]>`
    SELECT c.relname AS name, pg_size_pretty(pg_relation_size(c.oid)) AS size
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = 'segments'::regclass ORDER BY c.relname`
  const [postings] = await sql<{ table: string; index: string }[]>`
    SELECT pg_size_pretty(pg_table_size('search_postings')) AS table, pg_size_pretty(pg_indexes_size('search_postings')) AS index`
  if (!row) throw new Error('bench: no server settings')
  return {
    version: row.version,
    sharedBuffers: row.shared_buffers,
    segments: Number(row.segments),
    sizes: [
      ['heap', row.table],
      ...indexes.map((i): [string, string] => [i.name, i.size]),
      ['search_postings', postings?.table ?? '?'],
      ['its index', postings?.index ?? '?'],
    ],
    spills: Number(row.search_bytes) > Number(row.buffers_bytes),
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

const ms = (n: number) => `${n.toFixed(1)} ms`

interface Measured {
  q: BenchQuery
  raw: RawSearchQuery
  hits: number
  times: number[]
  median: number
  max: number
}

interface SizeResult {
  videos: number
  env: Environment
  p50: number
  p95: number
  max: number
  slowest: Measured
  /** EXPLAIN ANALYZE of the slowest query, as PostgreSQL's text plan */
  plan: string
}

/** One corpus size, prepared and warmed up: its pool, its queries (second pages with their cursor). */
interface Corpus {
  videos: number
  sql: Sql
  env: Environment
  cursors: CursorCodec
  measured: Measured[]
}

async function openCorpus(videos: number): Promise<Corpus> {
  const sql = await openBenchDatabase(databaseUrl(videos))
  await prepare(sql, videos)
  const [video] = await sql<{ id: string }[]>`
    SELECT v.id FROM videos v JOIN transcripts t ON t.video_id = v.id ORDER BY v.youtube_id LIMIT 1`
  if (!video) throw new Error('bench: the database has no video with a transcript')
  const list = queries({ videoId: video.id })
  const cursors = new CursorCodec(await readCursorSecret(sql))
  checkWords(list)
  const env = await environment(sql)
  console.log(`${videos.toLocaleString('en')} videos: ${env.segments.toLocaleString('en')} segments; ${list.length} queries, 1 warm-up + ${RUNS} measured runs each`)
  // Warm-up: every query once; second pages get their cursor here.
  const measured: Measured[] = []
  for (const q of list) {
    let raw = q.query
    if (q.secondPage) {
      const first = await searchSegments(sql, parseSearchQuery(raw, cursors))
      if (!first.page_info.next_cursor) throw new Error(`bench: "${q.label}" has no second page`)
      raw = { ...raw, cursor: first.page_info.next_cursor }
    }
    const page = await searchSegments(sql, parseSearchQuery(raw, cursors))
    measured.push({ q, raw, hits: page.items.length, times: [], median: 0, max: 0 })
  }
  return { videos, sql, env, cursors, measured }
}

/** One measured run of every query of a corpus, in order. */
async function runOnce(c: Corpus): Promise<void> {
  for (const m of c.measured) {
    const started = performance.now()
    await searchSegments(c.sql, parseSearchQuery(m.raw, c.cursors))
    m.times.push(performance.now() - started)
  }
}

async function summarize(c: Corpus): Promise<SizeResult> {
  const { videos, sql, env, cursors, measured } = c
  for (const m of measured) {
    m.median = percentile([...m.times].sort((a, b) => a - b), 50)
    m.max = Math.max(...m.times)
  }
  const all = measured.flatMap((m) => m.times).sort((a, b) => a - b)
  const byMedian = [...measured].sort((a, b) => b.median - a.median)
  console.log(`\n${videos.toLocaleString('en')} videos: p50 ${ms(percentile(all, 50))}   p95 ${ms(percentile(all, 95))}   max ${ms(all.at(-1) ?? Number.NaN)}   (${all.length} samples)`)
  console.log('slowest 5 (median of runs):')
  for (const m of byMedian.slice(0, 5)) {
    console.log(`  ${ms(m.median).padStart(10)}  max ${ms(m.max).padStart(10)}  ${String(m.hits).padStart(3)} hits  ${m.q.label}`)
  }
  if (EXPLAIN) {
    for (const m of byMedian.slice(1, 5)) console.log(`\n${m.q.label}:\n${await textPlan(sql, m, cursors)}`)
  }
  const slowest = byMedian[0]
  if (!slowest) throw new Error('bench: no queries')
  return { videos, env, p50: percentile(all, 50), p95: percentile(all, 95), max: all.at(-1) ?? Number.NaN, slowest, plan: await textPlan(sql, slowest, cursors) }
}

/** EXPLAIN (ANALYZE, BUFFERS) of a measured query's statements (one per tier level read, or the GIN one), indented as psql prints them. */
async function textPlan(sql: Sql, m: Measured, cursors: CursorCodec): Promise<string> {
  const { path, plans } = await explainSearch(sql, parseSearchQuery(m.raw, cursors), { analyze: true })
  const statements = (plans as [PlanJson][]).map(([plan], i) => `statement ${i + 1} of ${plans.length} (${path}):\n${renderPlan(plan.Plan).join('\n')}\nExecution Time: ${plan['Execution Time'].toFixed(1)} ms`)
  return statements.join('\n')
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Actual Rows'?: number
  'Actual Loops'?: number
  'Actual Total Time'?: number
  'Shared Hit Blocks'?: number
  'Shared Read Blocks'?: number
  'Index Cond'?: string
  'Recheck Cond'?: string
  Filter?: string
  Plans?: PlanNode[]
}
interface PlanJson {
  Plan: PlanNode
  'Execution Time': number
}

function renderPlan(n: PlanNode, depth = 0): string[] {
  const target = n['Index Name'] ? ` using ${n['Index Name']}` : n['Relation Name'] ? ` on ${n['Relation Name']}` : ''
  const cond = n['Index Cond'] ?? n['Recheck Cond'] ?? n.Filter
  const line =
    `${'  '.repeat(depth)}-> ${n['Node Type']}${target}  (actual ${n['Actual Total Time']?.toFixed(1)} ms, rows ${n['Actual Rows']} × ${n['Actual Loops']} loops, ` +
    `buffers hit ${n['Shared Hit Blocks'] ?? 0} read ${n['Shared Read Blocks'] ?? 0})${cond ? `  ${cond}` : ''}`
  return [line, ...(n.Plans ?? []).flatMap((c) => renderPlan(c, depth + 1))]
}

async function main(): Promise<void> {
  const corpora: Corpus[] = []
  try {
    for (const videos of SIZES) corpora.push(await openCorpus(videos))
    // Run by run, every size in turn: the machine's noise falls on all sizes alike, so the growth
    // ratio compares like with like.
    for (let run = 0; run < RUNS; run++) for (const c of corpora) await runOnce(c)
    const results: SizeResult[] = []
    for (const c of corpora) results.push(await summarize(c))
    report(results)
  } finally {
    for (const c of corpora) await c.sql.end({ timeout: 5 })
  }
}

function report(results: SizeResult[]): void {
  const base = results[0]
  const last = results.at(-1)
  if (!base || !last) return

  console.log(`\nPostgreSQL ${last.env.version}, shared_buffers ${last.env.sharedBuffers}; target p95 < ${TARGET_P95_MS} ms\n`)
  console.log('| corpus | p50 | p95 | max | p95 vs 1M | slowest query |')
  console.log('|---|---|---|---|---|---|')
  for (const r of results) {
    const segments = `${(r.env.segments / 1e6).toFixed(2)}M segments (${r.videos.toLocaleString('en')} videos × ${SEGMENTS_PER_VIDEO})`
    console.log(`| ${segments} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.max)} | ${(r.p95 / base.p95).toFixed(2)}× | \`${r.slowest.raw.q}\` ${ms(r.slowest.median)} |`)
  }
  console.log(`\nsizes (segments, then search_postings):`)
  for (const r of results) console.log(`  ${r.videos.toLocaleString('en')} videos: ${r.env.sizes.map(([name, size]) => `${name} ${size}`).join(', ')}`)
  if (last.env.spills) {
    // A search through GIN ranks every match from its heap row: a common word's matches are on most
    // heap pages, which then come from the OS cache again, every time. The tier path reads a page.
    console.log(`note: at ${last.videos.toLocaleString('en')} videos segments and its indexes do not fit in shared_buffers (${last.env.sharedBuffers}): pages come from the OS cache`)
  }
  console.log(`\nplan of the slowest query at ${last.videos.toLocaleString('en')} videos (${last.slowest.q.label}):\n${last.plan}`)
}

await main()
