// Search benchmark: 50 fixed GET /search queries (common and rare words, phrases, OR, exclusions, filters, second pages) run uncached through the route's own service on the 1M-segment seed; prints p50/p95/max and the 5 slowest.
//
//   bun scripts/bench-search.ts            # DATABASE_URL, default postgres://postgres@127.0.0.1:5432/transcript_bench
//   BENCH_RUNS=10 bun scripts/bench-search.ts
//   BENCH_EXPLAIN=1 bun scripts/bench-search.ts   # also prints the plan of each of the 5 slowest
//
// The database is created, migrated and seeded (seed 1, about 1M segments) when it is missing or
// empty; later runs reuse it. Every query runs once to warm up, then BENCH_RUNS times (default 5)
// in round-robin order, so no query profits from running right after itself.

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

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/transcript_bench'
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const EXPLAIN = process.env.BENCH_EXPLAIN === '1'
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

async function openBenchDatabase(url: string): Promise<Sql> {
  await createIfMissing(url)
  return createPool(url, { max: 2, applicationName: 'bench-search' })
}

async function prepare(sql: Sql): Promise<void> {
  await migrate(sql, MIGRATION_FILES, log)
  const [row] = await sql<{ any: boolean }[]>`SELECT EXISTS (SELECT 1 FROM segments) AS any`
  if (!row?.any) {
    console.log('seeding 10,000 videos × 100 segments (seed 1); this takes a while, once')
    const started = performance.now()
    await seedDatabase(sql, { videos: 10000, segmentsPerVideo: 100, seed: 1 })
    console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
  // Fresh statistics and visibility map: what a database that has been running a while has.
  await sql`VACUUM ANALYZE segments`
  await sql`VACUUM ANALYZE transcripts`
  await sql`VACUUM ANALYZE videos`
}

async function environment(sql: Sql): Promise<string[]> {
  const [row] = await sql<{ version: string; shared_buffers: string; buffers_bytes: string; search_bytes: string; segments: string; table: string; gin: string }[]>`
    SELECT current_setting('server_version') AS version, current_setting('shared_buffers') AS shared_buffers,
           pg_size_bytes(current_setting('shared_buffers'))::text AS buffers_bytes,
           (pg_table_size('segments') + pg_relation_size('segments_text_tsv_idx'))::text AS search_bytes,
           (SELECT reltuples::bigint::text FROM pg_class WHERE oid = 'segments'::regclass) AS segments,
           pg_size_pretty(pg_table_size('segments')) AS table, pg_size_pretty(pg_relation_size('segments_text_tsv_idx')) AS gin`
  if (!row) return []
  const lines = [
    `PostgreSQL ${row.version}, shared_buffers ${row.shared_buffers}; segments ≈ ${Number(row.segments).toLocaleString('en')} rows, heap ${row.table}, GIN ${row.gin}`,
  ]
  // A common word has a match on most heap pages, so every search reads most of the heap: when it
  // does not fit in shared_buffers, each page comes from the OS cache again, every time.
  if (Number(row.search_bytes) > Number(row.buffers_bytes)) {
    lines.push(
      `note: segments + its GIN index do not fit in shared_buffers (${row.shared_buffers}); common-word searches will re-read ` +
        'the heap from the OS cache on every query and be several times slower. Give PostgreSQL more shared_buffers (e.g. 1GB).',
    )
  }
  return lines
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
}

async function main(): Promise<void> {
  const sql = await openBenchDatabase(DATABASE_URL)
  try {
    await prepare(sql)
    const [video] = await sql<{ id: string }[]>`
      SELECT v.id FROM videos v JOIN transcripts t ON t.video_id = v.id ORDER BY v.youtube_id LIMIT 1`
    if (!video) throw new Error('bench: the database has no video with a transcript')
    const list = queries({ videoId: video.id })
    const cursors = new CursorCodec(await readCursorSecret(sql))
    checkWords(list)
    for (const line of await environment(sql)) console.log(line)
    console.log(`${list.length} queries, 1 warm-up + ${RUNS} measured runs each\n`)

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
      measured.push({ q, raw, hits: page.items.length, times: [] })
    }

    for (let run = 0; run < RUNS; run++) {
      for (const m of measured) {
        const started = performance.now()
        await searchSegments(sql, parseSearchQuery(m.raw, cursors))
        m.times.push(performance.now() - started)
      }
    }

    const all = measured.flatMap((m) => m.times).sort((a, b) => a - b)
    const p95 = percentile(all, 95)
    console.log(`p50 ${ms(percentile(all, 50))}   p95 ${ms(p95)}   max ${ms(all.at(-1) ?? Number.NaN)}   (${all.length} samples)`)
    console.log(`target p95 < ${TARGET_P95_MS} ms: ${p95 < TARGET_P95_MS ? 'met' : 'NOT met'}\n`)
    const byMedian = measured
      .map((m) => ({ ...m, median: percentile([...m.times].sort((a, b) => a - b), 50), max: Math.max(...m.times) }))
      .sort((a, b) => b.median - a.median)
    console.log('slowest 5 (median of runs):')
    for (const m of byMedian.slice(0, 5)) {
      console.log(`  ${ms(m.median).padStart(10)}  max ${ms(m.max).padStart(10)}  ${String(m.hits).padStart(3)} hits  ${m.q.label}`)
    }
    if (EXPLAIN) {
      for (const m of byMedian.slice(0, 5)) {
        console.log(`\n${m.q.label}:`)
        console.log(JSON.stringify(await explainSearch(sql, parseSearchQuery(m.raw, cursors), { analyze: true }), null, 1))
      }
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

await main()
