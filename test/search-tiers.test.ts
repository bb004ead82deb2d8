import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { PendingQuery, Row } from 'postgres'
import { parseSearchQuery } from '../src/modules/search/params.ts'
import { explainSearch } from '../src/modules/search/queries.ts'
import { seedDatabase } from '../src/seed/index.ts'
import { Random } from '../src/seed/prng.ts'
import type { Sql } from '../src/platform/db.ts'
import { testApp, testCursors } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { walkPages } from './support/search-pages.ts'
import { postingsAgainstSegments, termRank } from './support/search-postings.ts'

// GET /search's two ranking paths against real PostgreSQL: the tier path (a word, a phrase, or an
// OR of them, of up to 3 distinct terms, ranked from search_postings: 9 + tier per term the
// segment holds, tier = how often it holds it, capped at 3; a term is a lexeme, or the pair of
// adjacent lexemes of a two-word phrase) and the GIN path (AND, longer ORs, video_id: ts_rank).
// Every fixture word here is
// invented (frobnix, quazzle, blorptic, snorfle, glimmerstaff, wuzzle, krindle, vorpalite, ...) and
// absent from the seed's vocabulary, so the seeded rows (there for the planner and the postings
// checks) never show up in the fixture assertions.

interface Hit {
  segment_id: number
  video_id: string
  source: 'whisper' | 'youtube'
  channel_name: string | null
  rank: number
}
interface SearchBody {
  items: Hit[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

let db: TestDatabase

const VR = 'a1111111-1111-4111-8111-111111111111' // relevance fixtures: Chan R, en
const VM = 'a2222222-2222-4222-8222-222222222222' // postings maintenance: Chan M
const VP = 'a3333333-3333-4333-8333-333333333333' // pagination corpus: Chan P, en, 2022-01-01, whisper + youtube
const VQ = 'a4444444-4444-4444-8444-444444444444' // pagination corpus: Chan Q, de, 2024-06-01, whisper

/**
 * Searches through a new app each time: GET /search answers are cached, and several tests change
 * segments behind the app's back with plain SQL, which a cached answer would not see.
 */
async function ok(params: Record<string, string>, request = testApp(db.sql).request): Promise<SearchBody> {
  const res = await request(`/search?${new URLSearchParams(params)}`)
  if (res.status !== 200) throw new Error(`GET /search ${JSON.stringify(params)} → ${res.status} ${await res.text()}`)
  return (await res.json()) as SearchBody
}

const ids = (body: SearchBody) => body.items.map((h) => h.segment_id)

const pathOf = async (raw: Record<string, string>) => (await explainSearch(db.sql, parseSearchQuery(raw, testCursors))).path

/** A transcript of `video` (created with the video when needed) for `source`. */
async function transcriptOf(sql: Sql, video: string, channel: string, source: 'whisper' | 'youtube', extra: { language?: string; uploaded?: string } = {}): Promise<string> {
  await sql`
    INSERT INTO videos (id, youtube_id, title, channel_name, language, uploaded_at, state)
    VALUES (${video}, ${`tt_${video.slice(0, 8)}`}, ${`Video ${channel}`}, ${channel}, ${extra.language ?? 'en'}, ${extra.uploaded ?? '2024-01-01T00:00:00Z'}, 'completed')
    ON CONFLICT (id) DO NOTHING`
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO transcripts (video_id, source) VALUES (${video}, ${source})
    ON CONFLICT (video_id, source) DO UPDATE SET source = EXCLUDED.source RETURNING id`
  if (!row) throw new Error('no transcript')
  return row.id
}

async function insertSegment(sql: Sql, transcript: string, video: string, idx: number, text: string): Promise<number> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
    VALUES (${transcript}, ${video}, ${idx}, ${idx * 1000}, ${idx * 1000 + 900}, ${text}) RETURNING id`
  return Number(row?.id)
}

async function expectPostingsEqual(sql: Sql, label: string): Promise<number> {
  const r = await postingsAgainstSegments(sql)
  expect({ label, missing: r.missing, extra: r.extra, count: r.actual }).toEqual({ label, missing: [], extra: [], count: r.expected })
  return r.actual
}

/** The postings of one segment as (term, tier), sorted. */
async function postingsOf(sql: Sql, segment: number) {
  return [...(await sql<{ term: string; tier: number }[]>`SELECT term, tier FROM search_postings WHERE segment_id = ${segment} ORDER BY term, tier`)]
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  // Loaded by COPY (seedDatabase's loader on PostgreSQL), with the triggers filling the postings.
  await seedDatabase(db.sql, { videos: 60, segmentsPerVideo: 60, seed: 7 })
  // VACUUM, not just ANALYZE: a vacuumed GIN index and visibility map are what production has.
  await db.sql`VACUUM ANALYZE`
})

afterAll(async () => {
  await db.drop()
})

describe('search_postings stays equal to the terms of segments.text_tsv (lexemes and adjacent pairs)', () => {
  test('after the seed (COPY of thousands of segments)', async () => {
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM segments`
    expect(n?.n).toBeGreaterThan(3000)
    // tens of thousands of postings: the check compares something real
    expect(await expectPostingsEqual(db.sql, 'seed')).toBeGreaterThan(15_000)
  })

  test('after INSERTs of one row and of many rows in one statement', async () => {
    const sql = db.sql
    const t = await transcriptOf(sql, VM, 'Chan M', 'whisper')
    const one = await insertSegment(sql, t, VM, 0, 'vorpalite vorpalite vorpalite vorpalite and a zindlewort')
    // 'and' and 'a' are stop words: they keep their positions, so zindlewort pairs with nothing
    expect(await postingsOf(sql, one)).toEqual([
      { term: 'vorpalit', tier: 3 },
      { term: 'vorpalit vorpalit', tier: 3 },
      { term: 'zindlewort', tier: 1 },
    ])
    await sql`
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT ${t}, ${VM}, i, i * 1000, i * 1000 + 900, repeat('vorpalite ', 1 + i % 4) || 'zindlewort number ' || i
      FROM generate_series(1, 40) AS i`
    await expectPostingsEqual(sql, 'insert')
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM search_postings WHERE term = 'vorpalit'`
    expect(row?.n).toBe(41)
    // the app sees the new rows at once (same transaction as the write, no rebuild)
    expect(ids(await ok({ q: 'vorpalite', limit: '200' }))).toHaveLength(41)
  })

  test('after an UPDATE of segments.text (tier changes, words come and go), and of other columns', async () => {
    const sql = db.sql
    const t = await transcriptOf(sql, VM, 'Chan M', 'whisper')
    const s = await insertSegment(sql, t, VM, 100, 'vorpalite alone')
    expect(await postingsOf(sql, s)).toEqual([
      { term: 'alon', tier: 1 },
      { term: 'vorpalit', tier: 1 },
      { term: 'vorpalit alon', tier: 1 },
    ])
    await sql`UPDATE segments SET text = 'vorpalite vorpalite, then plumtastic' WHERE id = ${s}`
    expect(await postingsOf(sql, s)).toEqual([
      { term: 'plumtast', tier: 1 },
      { term: 'vorpalit', tier: 2 },
      { term: 'vorpalit vorpalit', tier: 1 },
    ])
    // many rows in one statement, and an update that leaves text_tsv as it was
    await sql`UPDATE segments SET text = text || ' plumtastic plumtastic' WHERE video_id = ${VM} AND idx BETWEEN 1 AND 20`
    await sql`UPDATE segments SET start_ms = start_ms + 1 WHERE video_id = ${VM}`
    await expectPostingsEqual(sql, 'update')
    // moving a segment to another transcript moves its postings' transcript_id too
    const y = await transcriptOf(sql, VM, 'Chan M', 'youtube')
    await sql`UPDATE segments SET transcript_id = ${y}, idx = 10000 WHERE id = ${s}`
    const [moved] = await sql<{ transcripts: string[] }[]>`SELECT array_agg(DISTINCT transcript_id::text) AS transcripts FROM search_postings WHERE segment_id = ${s}`
    expect(moved?.transcripts).toEqual([y])
    await expectPostingsEqual(sql, 'update transcript')
    const hit = (await ok({ q: 'plumtastic', source: 'youtube' })).items
    expect(hit.map((h) => [h.segment_id, h.rank])).toEqual([[s, 10]])
  })

  test('after INSERT ... ON CONFLICT DO UPDATE (both the insert and the update triggers)', async () => {
    const sql = db.sql
    const t = await transcriptOf(sql, VM, 'Chan M', 'whisper')
    await sql`
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT ${t}, ${VM}, i, 0, 1, 'quenchbottle ' || i FROM generate_series(35, 45) AS i
      ON CONFLICT (transcript_id, idx) DO UPDATE SET text = EXCLUDED.text || ' quenchbottle'`
    await expectPostingsEqual(sql, 'upsert')
    const [row] = await sql<{ tiers: number[] }[]>`SELECT array_agg(tier ORDER BY segment_id) AS tiers FROM search_postings WHERE term = 'quenchbottl'`
    // idx 35..40 existed (updated: said twice), 41..45 are new (said once)
    expect(row?.tiers).toEqual([2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1])
  })

  test('after MERGE (insert, update and delete actions) and a word of the longest indexable length', async () => {
    const sql = db.sql
    const t = await transcriptOf(sql, VM, 'Chan M', 'whisper')
    await sql`
      MERGE INTO segments s USING (SELECT i FROM generate_series(44, 50) AS i) n ON s.transcript_id = ${t} AND s.idx = n.i
      WHEN MATCHED AND n.i = 44 THEN DELETE
      WHEN MATCHED THEN UPDATE SET text = 'mergeroo mergeroo mergeroo'
      WHEN NOT MATCHED THEN INSERT (transcript_id, video_id, idx, start_ms, end_ms, text) VALUES (${t}, ${VM}, n.i, 0, 1, 'mergeroo')`
    await expectPostingsEqual(sql, 'merge')
    const [row] = await sql<{ tiers: number[] }[]>`SELECT array_agg(tier ORDER BY segment_id) AS tiers FROM search_postings WHERE term = 'mergeroo'`
    // idx 45 updated (said three times), 46..50 inserted (once); 44 deleted
    expect(row?.tiers).toEqual([3, 1, 1, 1, 1, 1])
    // to_tsvector keeps words up to 2047 bytes: the postings index (a btree) takes them too, but not
    // their pair with the next word (2,056 bytes, over MAX_PAIR_BYTES)
    const long = await insertSegment(sql, t, VM, 300, `${'y'.repeat(2047)} vorpalite`)
    expect((await postingsOf(sql, long)).map((p) => [p.term.length, p.tier])).toEqual([
      [8, 1],
      [2047, 1],
    ])
    await expectPostingsEqual(sql, 'long word')
  })

  test('after a DELETE, and deletes cascaded from transcripts and from videos', async () => {
    const sql = db.sql
    const t = await transcriptOf(sql, VM, 'Chan M', 'whisper')
    const gone = await insertSegment(sql, t, VM, 200, 'vorpalite to be deleted')
    await sql`DELETE FROM segments WHERE id = ${gone}`
    expect(await postingsOf(sql, gone)).toEqual([])
    await sql`DELETE FROM segments WHERE video_id = ${VM} AND idx % 3 = 0`
    await expectPostingsEqual(sql, 'delete')

    // a transcript's segments go with it (ON DELETE CASCADE)
    const y = await transcriptOf(sql, VM, 'Chan M', 'youtube')
    await sql`INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT ${y}, ${VM}, i, 0, 1, 'vorpalite cascade ' || i FROM generate_series(20000, 20030) AS i`
    await sql`DELETE FROM transcripts WHERE id = ${y}`
    const [left] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM search_postings WHERE transcript_id = ${y}`
    expect(left?.n).toBe(0)
    await expectPostingsEqual(sql, 'cascade from transcripts')

    // a video's transcripts and segments go with it
    const [before] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM search_postings WHERE term = 'vorpalit'`
    expect(before?.n).toBeGreaterThan(10)
    await sql`DELETE FROM videos WHERE id = ${VM}`
    const [after] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM search_postings WHERE term = 'vorpalit'`
    expect(after?.n).toBe(0)
    await expectPostingsEqual(sql, 'cascade from videos')
    expect(ids(await ok({ q: 'vorpalite' }))).toEqual([])
  })

  test('after one statement that deletes, updates and inserts segments (writable CTEs)', async () => {
    const sql = db.sql
    const t = await transcriptOf(sql, VM, 'Chan M', 'whisper')
    await sql`INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT ${t}, ${VM}, i, 0, 1, 'ctewort ' || i FROM generate_series(30000, 30009) AS i`
    await sql`
      WITH gone AS (DELETE FROM segments WHERE transcript_id = ${t} AND idx BETWEEN 30000 AND 30003 RETURNING idx),
           changed AS (UPDATE segments SET text = 'ctewort ctewort' WHERE transcript_id = ${t} AND idx BETWEEN 30004 AND 30006 RETURNING idx)
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT ${t}, ${VM}, idx + 100, 0, 1, 'ctewort ctewort ctewort' FROM gone`
    await expectPostingsEqual(sql, 'writable CTE')
    const [row] = await sql<{ tiers: number[] }[]>`SELECT array_agg(tier ORDER BY segment_id) AS tiers FROM search_postings WHERE term = 'ctewort'`
    // 30007..30009 untouched, 30004..30006 updated, 4 new ones (ids after them all)
    expect(row?.tiers).toEqual([2, 2, 2, 1, 1, 1, 3, 3, 3, 3])
  })

  test('a rolled-back write leaves the postings as they were', async () => {
    const sql = db.sql
    const before = await postingsAgainstSegments(sql)
    await sql
      .begin(async (tx) => {
        const t = await transcriptOf(tx as unknown as Sql, VM, 'Chan M', 'whisper')
        await tx`INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text) VALUES (${t}, ${VM}, 0, 0, 1, 'vorpalite rolled back')`
        await tx`DELETE FROM segments WHERE id IN (SELECT id FROM segments ORDER BY id LIMIT 10)`
        throw new Error('roll back')
      })
      .catch((e: Error) => expect(e.message).toBe('roll back'))
    expect(await expectPostingsEqual(sql, 'rollback')).toBe(before.actual)
  })

  test('TRUNCATE (of segments, and cascaded from videos) empties them; a bulk seed (indexes dropped and rebuilt) refills them', async () => {
    const scratch = await createTestDatabase({ migrated: true })
    try {
      const sql = scratch.sql
      await seedDatabase(sql, { videos: 20, segmentsPerVideo: 30, seed: 3 })
      expect(await expectPostingsEqual(sql, 'scratch seed')).toBeGreaterThan(1000)

      await sql`TRUNCATE segments`
      expect(await expectPostingsEqual(sql, 'truncate segments')).toBe(0)

      const t = await transcriptOf(sql, VM, 'Chan M', 'whisper')
      await insertSegment(sql, t, VM, 0, 'vorpalite vorpalite truncated')
      // vorpalit, truncat, and the pairs 'vorpalit vorpalit' and 'vorpalit truncat'
      expect(await expectPostingsEqual(sql, 'insert after truncate')).toBe(4)

      // a rolled-back TRUNCATE keeps the postings too
      await sql.begin(async (tx) => {
        await tx`TRUNCATE segments`
        throw new Error('roll back')
      }).catch((e: Error) => expect(e.message).toBe('roll back'))
      expect(await expectPostingsEqual(sql, 'truncate rolled back')).toBe(4)

      await sql`TRUNCATE videos CASCADE`
      expect(await expectPostingsEqual(sql, 'truncate videos cascade')).toBe(0)

      // 50,000 segments take seedDatabase's bulk-load way (src/seed/bulk-load.ts): the postings
      // index is dropped and rebuilt around the COPY, and the triggers still fill the table.
      await sql`TRUNCATE users, jobs CASCADE`
      await seedDatabase(sql, { videos: 100, segmentsPerVideo: 500, seed: 5 })
      expect(await expectPostingsEqual(sql, 'bulk seed')).toBeGreaterThan(200_000)
      const [index] = await sql<{ valid: boolean }[]>`
        SELECT x.indisvalid AS valid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname = 'search_postings_order_idx'`
      expect(index?.valid).toBe(true)
    } finally {
      await scratch.drop()
    }
  }, 180_000)
})

describe('relevance', () => {
  type Label = 'f1' | 'f2' | 'f3' | 'f4' | 'q1' | 'q2' | 'f1q1' | 'f2q3' | 'near' | 'far' | 'b' | 's'
  const seg = {} as Record<Label, number>

  beforeAll(async () => {
    const sql = db.sql
    const t = await transcriptOf(sql, VR, 'Chan R', 'whisper')
    const rows: [Label, string][] = [
      ['f1', 'a frobnix here'],
      ['f3', 'frobnix frobnix and frobnix again'],
      ['f2', 'frobnix then frobnix'],
      ['f4', 'frobnix frobnix frobnix frobnix, four is still tier three'],
      ['q1', 'one quazzle only'],
      ['q2', 'quazzle quazzle twice'],
      ['f1q1', 'frobnix with a quazzle'],
      ['f2q3', 'frobnix frobnix quazzle quazzle quazzle'],
      ['near', 'blorptic snorfle'],
      ['far', `blorptic ${'filler '.repeat(15)}snorfle`],
      ['b', 'blorptic alone'],
      ['s', 'snorfle alone'],
    ]
    for (const [i, [label, text]] of rows.entries()) seg[label] = await insertSegment(sql, t, VR, i, text)
    await sql`VACUUM ANALYZE segments, search_postings`
  })

  test('tier path: a word said three times (or more) ranks above twice, above once; rank is 9 + tier', async () => {
    expect(await pathOf({ q: 'frobnix' })).toBe('tiers')
    const body = await ok({ q: 'frobnix' })
    expect(body.items.map((h) => [h.segment_id, h.rank])).toEqual([
      [seg.f3, 12],
      [seg.f4, 12],
      [seg.f2, 11],
      [seg.f2q3, 11],
      [seg.f1, 10],
      [seg.f1q1, 10],
    ])
  })

  test('tier path: for `a or b` a segment with both words ranks above any with one; rank is the sum over the words', async () => {
    expect(await pathOf({ q: 'frobnix or quazzle' })).toBe('tiers')
    const body = await ok({ q: 'frobnix or quazzle' })
    expect(body.items.map((h) => [h.segment_id, h.rank])).toEqual([
      [seg.f2q3, 11 + 12],
      [seg.f1q1, 10 + 10],
      [seg.f3, 12],
      [seg.f4, 12],
      [seg.f2, 11],
      [seg.q2, 11],
      [seg.f1, 10],
      [seg.q1, 10],
    ])
    // the rank the API reports is the formula over text_tsv, computed independently in SQL
    const truth = await db.sql<{ id: string; rank: number }[]>`
      SELECT s.id::text AS id, (SELECT sum(9 + least(array_length(u.positions, 1), 3)) FROM unnest(s.text_tsv) u WHERE u.lexeme IN ('frobnix', 'quazzl'))::int AS rank
      FROM segments s WHERE s.text_tsv @@ websearch_to_tsquery('english', 'frobnix or quazzle')
      ORDER BY rank DESC, s.id`
    expect(body.items.map((h) => [h.segment_id, h.rank])).toEqual(truth.map((r) => [Number(r.id), r.rank]))
  })

  test('tier path: an exclusion drops the segments that say it, the ranks stay', async () => {
    expect(await pathOf({ q: 'frobnix -quazzle' })).toBe('tiers')
    expect((await ok({ q: 'frobnix -quazzle' })).items.map((h) => [h.segment_id, h.rank])).toEqual([
      [seg.f3, 12],
      [seg.f4, 12],
      [seg.f2, 11],
      [seg.f1, 10],
    ])
  })

  test('the same word twice in an OR (two forms of one stem) is answered as that word', async () => {
    const single = (await ok({ q: 'frobnix' })).items.map((h) => h.segment_id)
    expect(single).toHaveLength(6)
    expect(ids(await ok({ q: 'frobnix or frobnixes' }))).toEqual(single)
  })

  test('GIN path (AND): adjacent words rank above the same words far apart, both above zero', async () => {
    expect(await pathOf({ q: 'blorptic snorfle' })).toBe('gin')
    const body = await ok({ q: 'blorptic snorfle' })
    // Only segments with both words match an AND; the order is ts_rank's proximity term: its
    // score for an AND falls with the distance between the words (here 1 vs 16 positions).
    expect(ids(body)).toEqual([seg.near, seg.far].map(Number))
    const [near, far] = body.items.map((h) => h.rank)
    expect(far).toBeGreaterThan(0)
    expect(near).toBeGreaterThan(far ?? Infinity)
  })
})

describe('tier path pagination', () => {
  const Q = 'glimmerstaff or wuzzle'
  /** `terms`: the query's tier terms (lexemes, 'a b' for a two-word phrase), when not glimmerstaff and wuzzl */
  type Variant = { label: string; params: Record<string, string>; where: (sql: Sql) => PendingQuery<Row[]>; terms?: string[] }
  const VARIANTS: Variant[] = [
    { label: 'plain', params: { q: Q }, where: (sql) => sql`` },
    // websearch_to_tsquery binds -word to its neighbour: this is 'glimmerstaff' | ('wuzzl' & !'krindl')
    { label: 'exclusion', params: { q: `${Q} -krindle` }, where: (sql) => sql`` },
    // ... and this excludes krindle from both: ('glimmerstaff' & !'krindl') | ('wuzzl' & !'krindl')
    { label: 'exclusion on both words', params: { q: 'glimmerstaff -krindle or wuzzle -krindle' }, where: (sql) => sql`` },
    { label: 'channel and source', params: { q: Q, channel: 'Chan P', source: 'whisper' }, where: (sql) => sql`AND v.channel_name = 'Chan P' AND t.source = 'whisper'` },
    // a phrase (tier path, each candidate checked on its row), and a phrase ORed with a word
    { label: 'phrase', params: { q: '"glimmerstaff wuzzle"' }, where: (sql) => sql``, terms: ['glimmerstaff wuzzl'] },
    { label: 'phrase or word', params: { q: '"glimmerstaff wuzzle" or krindle' }, where: (sql) => sql``, terms: ['glimmerstaff wuzzl', 'krindl'] },
    // a phrase ORed with one of its own words: the phrase adds rank, never matches on its own
    { label: 'phrase or its word', params: { q: '"glimmerstaff wuzzle" or glimmerstaff' }, where: (sql) => sql``, terms: ['glimmerstaff wuzzl', 'glimmerstaff'] },
    // 3 words: 63 tier combinations in 15 rank levels (krindle is said once, in 1 segment in 5)
    { label: 'three words', params: { q: `${Q} or krindle` }, where: (sql) => sql``, terms: ['glimmerstaff', 'wuzzl', 'krindl'] },
    { label: 'exclusion, language and date', params: { q: `${Q} -krindle`, language: 'de', date_from: '2024-01-01' }, where: (sql) => sql`AND v.language = 'de' AND v.uploaded_at >= '2024-01-01'` },
  ]

  beforeAll(async () => {
    const sql = db.sql
    const pw = await transcriptOf(sql, VP, 'Chan P', 'whisper', { uploaded: '2022-01-01T00:00:00Z' })
    const py = await transcriptOf(sql, VP, 'Chan P', 'youtube', { uploaded: '2022-01-01T00:00:00Z' })
    const qw = await transcriptOf(sql, VQ, 'Chan Q', 'whisper', { language: 'de', uploaded: '2024-06-01T00:00:00Z' })
    // 600 segments: each word said 0..3 times in cycles of 4 and 16, so each of the 15 tier
    // combinations of 2 words holds dozens of segments (heavy ties), 1 in 16 says neither word
    // and 1 in 5 also says the excluded krindle. The phrase "glimmerstaff wuzzle" occurs where
    // both words do, and once or twice more in 1 segment in 6 and in 9 (its tiers 1..3).
    await sql`
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT (ARRAY[${pw}, ${py}, ${qw}]::uuid[])[1 + i % 3], CASE WHEN i % 3 = 2 THEN ${VQ}::uuid ELSE ${VP}::uuid END,
             i, i * 1000, i * 1000 + 900,
             repeat('glimmerstaff ', i % 4) || repeat('wuzzle ', (i / 4) % 4) || 'filler' ||
             CASE WHEN i % 5 = 0 THEN ' krindle' ELSE '' END ||
             CASE WHEN i % 6 = 0 THEN ' glimmerstaff wuzzle' ELSE '' END || CASE WHEN i % 9 = 0 THEN ' glimmerstaff wuzzle' ELSE '' END
      FROM generate_series(0, 599) AS i`
    await sql`VACUUM ANALYZE`
  })

  async function truthOf(v: Variant): Promise<{ id: number; rank: number }[]> {
    const sql = db.sql
    const rows = await sql<{ id: string; rank: number }[]>`
      SELECT s.id::text AS id, ${termRank(sql, v.terms ?? ['glimmerstaff', 'wuzzl'])} AS rank
      FROM segments s JOIN transcripts t ON t.id = s.transcript_id JOIN videos v ON v.id = s.video_id
      WHERE s.text_tsv @@ websearch_to_tsquery('english', ${v.params.q ?? ''}) ${v.where(sql)}
      ORDER BY rank DESC, s.id`
    return rows.map((r) => ({ id: Number(r.id), rank: r.rank }))
  }

  const walk = (params: Record<string, string>, limit: number, request = testApp(db.sql).request): Promise<Hit[]> =>
    walkPages(limit, (cursor) => ok({ ...params, limit: String(limit), ...(cursor ? { cursor } : {}) }, request))

  for (const v of VARIANTS) {
    test(`walking every page is exactly the SQL truth (${v.label}), at limits 37 and 200`, async () => {
      expect(await pathOf(v.params)).toBe('tiers')
      const truth = await truthOf(v)
      expect(truth.length).toBeGreaterThan(['plain', 'exclusion', 'exclusion on both words', 'three words'].includes(v.label) ? 400 : 100)
      // heavy ties: few distinct ranks, several of them spanning page boundaries at 37
      const distinct = new Set(truth.map((r) => r.rank))
      expect(distinct.size).toBeGreaterThanOrEqual(v.label === 'phrase' ? 3 : 5)
      expect(distinct.size).toBeLessThan(truth.length / 10)
      for (const limit of [37, 200]) {
        const hits = await walk(v.params, limit)
        const walked = hits.map((h) => h.segment_id)
        expect({ limit, repeats: walked.length - new Set(walked).size }).toEqual({ limit, repeats: 0 })
        expect(hits.map((h) => ({ id: h.segment_id, rank: h.rank }))).toEqual(truth)
      }
    })
  }

  test('the filters and the exclusion really narrow the list', async () => {
    const [plain, excludedOne, excluded, filtered] = await Promise.all(['plain', 'exclusion', 'exclusion on both words', 'channel and source'].map((label) => truthOf(VARIANTS.find((v) => v.label === label) as Variant)))
    expect(excludedOne?.length).toBeLessThan(plain?.length ?? 0)
    expect(excluded?.length).toBeLessThan((excludedOne?.length ?? 0) - 50)
    expect(filtered?.length).toBeLessThan((plain?.length ?? 0) / 2)
    const hits = await walk(VARIANTS.find((v) => v.label === 'channel and source')?.params ?? {}, 50)
    expect(hits.every((h) => h.video_id === VP && h.source === 'whisper' && h.channel_name === 'Chan P')).toBe(true)
  })

  test('a row inserted mid-walk with a rank above the cursor does not shift the pages after it', async () => {
    const truth = await truthOf(VARIANTS[0] as Variant)
    const request = testApp(db.sql).request
    const first = await ok({ q: Q, limit: '100' }, request)
    expect(first.page_info.next_cursor).not.toBeNull()
    // rank 24 (both words three times): above every rank on the first page's last hit
    const lastRank = first.items.at(-1)?.rank ?? Infinity
    expect(lastRank).toBeLessThan(24)
    const [row] = await db.sql<{ id: string }[]>`
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT transcript_id, video_id, 10000, 0, 1, 'glimmerstaff wuzzle glimmerstaff wuzzle glimmerstaff wuzzle'
      FROM segments WHERE id = ${first.items[0]?.segment_id ?? 0} RETURNING id`
    try {
      const rest: Hit[] = []
      let cursor = first.page_info.next_cursor
      while (cursor) {
        const body: SearchBody = await ok({ q: Q, limit: '100', cursor }, request)
        rest.push(...body.items)
        cursor = body.page_info.next_cursor
      }
      const all = [...first.items, ...rest].map((h) => ({ id: h.segment_id, rank: h.rank }))
      expect(all.map((h) => h.id)).not.toContain(Number(row?.id))
      // exactly the list as it was before the insert: nothing skipped, nothing repeated
      expect(all).toEqual(truth)
    } finally {
      await db.sql`DELETE FROM segments WHERE id = ${row?.id ?? '0'}`
    }
  })

  test('forged but validly signed cursors are answered (200) or refused cleanly (400), never a 500', async () => {
    const truth = await truthOf(VARIANTS[0] as Variant)
    const request = testApp(db.sql).request
    const { scope } = parseSearchQuery({ q: Q }, testCursors)
    const answer = async (rank: string, id: string) => {
      const res = await request(`/search?${new URLSearchParams({ q: Q, limit: '200', cursor: testCursors.encode(scope, [rank, id]) })}`)
      const body = (await res.json()) as SearchBody & { error?: { code: string } }
      return { status: res.status, code: body.error?.code, ids: body.items?.map((h) => h.segment_id) }
    }
    // The cursor means "after (rank, id) in rank DESC, id ASC order": checked against the truth.
    const after = (rank: number, id: number) => truth.filter((r) => r.rank < rank || (r.rank === rank && r.id > id)).slice(0, 200).map((r) => r.id)
    const cases: [string, string][] = [
      ['1e30', '1'],
      ['0', '1'],
      ['10', '1'],
      ['24', '1'],
      ['20', '9223372036854775807'],
      ['11.5', '0'],
      ['3.4028235e38', '1'],
      ['1e-30', '1'],
      ['1e39', '1'],
      ['-1', '1'],
      ['1e30', '99999999999999999999'],
      ['inf', '1'],
    ]
    for (const [rank, id] of cases) {
      const got = await answer(rank, id)
      expect({ rank, id, status: got.status === 200 || got.status === 400 ? 'ok' : got.status }).toEqual({ rank, id, status: 'ok' })
      if (got.status === 400) expect({ rank, id, code: got.code }).toEqual({ rank, id, code: 'invalid_cursor' })
      else expect({ rank, id, ids: got.ids }).toEqual({ rank, id, ids: after(Number(rank), Number(id)) })
    }
    // the well-formed ones are answered, not refused
    for (const [rank, id] of cases.slice(0, 7)) expect({ rank, id, status: (await answer(rank, id)).status }).toEqual({ rank, id, status: 200 })
    // the same on a one-word query, a phrase, and a query with an exclusion and a filter
    const raws: Record<string, string>[] = [{ q: 'glimmerstaff' }, { q: '"glimmerstaff wuzzle"' }, { q: `${Q} -krindle`, channel: 'Chan P' }]
    for (const raw of raws) {
      const { scope: other } = parseSearchQuery(raw, testCursors)
      for (const rank of ['1e30', '0', '12', '3.4028235e38']) {
        const res = await request(`/search?${new URLSearchParams({ ...raw, cursor: testCursors.encode(other, [rank, '1']) })}`)
        expect({ raw, rank, status: res.status }).toEqual({ raw, rank, status: 200 })
      }
    }
  })
})

type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Relation Name'?: string; Plans?: PlanNode[] }
const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)]

describe('random queries against the SQL truth', () => {
  // A differential check over both paths: random ORs, exclusions, phrases and ANDs of 4 words over
  // a random corpus, each walked page by page and compared with one big SQL query ranked the
  // way its path ranks (the tier formula, or ts_rank of querytree for the GIN path).
  const VF = 'a5555555-5555-4555-8555-555555555555' // Chan F, whisper + youtube
  const WORDS = ['glorpus', 'zintle', 'mivvo', 'krallix']
  const TOKENS = [...WORDS, ...WORDS.slice(0, 2), 'filler', 'padding', 'filler']

  // the seed's generator: the same corpus and queries on every run
  const rng = new Random(20261204, 'search-tiers random queries')
  const random = () => rng.next()
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T

  beforeAll(async () => {
    const sql = db.sql
    const w = await transcriptOf(sql, VF, 'Chan F', 'whisper')
    const y = await transcriptOf(sql, VF, 'Chan F', 'youtube')
    const rows = Array.from({ length: 500 }, (_, i) => ({
      transcript_id: i % 2 === 0 ? w : y,
      video_id: VF,
      idx: i,
      start_ms: i,
      end_ms: i + 1,
      text: Array.from({ length: 1 + Math.floor(random() * 8) }, () => pick(TOKENS)).join(' '),
    }))
    // ids from 9,801 to 10,300: across a change of digit count, where text order differs from
    // numeric order ('10001' < '9999'), so an id compared or sorted as text shows
    await sql`SELECT setval('segments_id_seq', greatest(9800, (SELECT max(id) FROM segments)))`
    await sql`INSERT INTO segments ${sql(rows, 'transcript_id', 'video_id', 'idx', 'start_ms', 'end_ms', 'text')}`
    await sql`VACUUM ANALYZE segments, search_postings`
  })

  const STEM: Record<string, string> = { glorpus: 'glorpus', zintle: 'zintl', mivvo: 'mivvo', krallix: 'krallix' }

  /** A random q, with the tier terms it has (a word's lexeme, 'a b' for a phrase) and whether it ANDs. */
  function randomQuery(): { q: string; terms: string[]; and: boolean } {
    const terms: string[] = []
    const term = () => {
      const [a, b] = [pick(WORDS), pick(WORDS)]
      const phrase = random() < 0.25
      terms.push(phrase ? `${STEM[a]} ${STEM[b]}` : (STEM[a] as string))
      return phrase ? `"${a} ${b}"` : a
    }
    const parts = [term()]
    let and = false
    for (let i = Math.floor(random() * 4); i > 0; i--) {
      const or = random() < 0.75
      and ||= !or
      parts.push(or ? 'or' : '', term())
    }
    if (random() < 0.3) parts.push(`-${pick(WORDS)}`)
    return { q: parts.filter((x) => x !== '').join(' '), terms: [...new Set(terms)], and }
  }

  test('60 random queries: the path is as specified and every page walk equals the truth of its path', async () => {
    const request = testApp(db.sql).request
    const seen = { tiers: 0, gin: 0, hits: 0 }
    for (let n = 0; n < 60; n++) {
      const { q, terms, and } = randomQuery()
      const params: Record<string, string> = { q, limit: String(pick([13, 37, 200])) }
      if (random() < 0.3) params.source = pick(['whisper', 'youtube'])
      // Chan F's video passes both: a channel leaves one video (ranked from its segments), a date
      // floor every video (the tier lists walked with the filter)
      const videoFilter = random()
      if (videoFilter < 0.2) params.channel = 'Chan F'
      else if (videoFilter < 0.4) params.date_from = '2000-01-01'
      // tiers: an OR of words and two-word phrases, of at most 3 distinct terms; else GIN
      const path = !and && terms.length <= 3 ? 'tiers' : 'gin'
      expect({ params, path: await pathOf(params) }).toEqual({ params, path })
      seen[path]++
      const rank = path === 'tiers' ? termRank(db.sql, terms) : db.sql`ts_rank(s.text_tsv, querytree(q)::tsquery)`
      const truth = await db.sql<{ id: string; rank: number }[]>`
        SELECT s.id::text AS id, ${rank} AS rank
        FROM segments s JOIN transcripts t ON t.id = s.transcript_id, websearch_to_tsquery('english', ${q}) q
        WHERE s.video_id = ${VF} AND s.text_tsv @@ q AND querytree(q) <> 'T'
          ${params.source ? db.sql`AND t.source = ${params.source}` : db.sql``}
        ORDER BY rank DESC, s.id`
      const hits = await walkPages(Number(params.limit), (cursor) => ok({ ...params, ...(cursor ? { cursor } : {}) }, request))
      const walked = hits.map((h) => ({ id: h.segment_id, rank: h.rank }))
      seen.hits += walked.length
      const expected = truth.map((r) => ({ id: Number(r.id), rank: r.rank }))
      // compared in full below; the first difference first, so a failure names the query and the spot
      const at = expected.findIndex((r, i) => r.id !== walked[i]?.id || r.rank !== walked[i]?.rank)
      const firstDifference = at === -1 ? null : { at, walked: walked.slice(at, at + 3), truth: expected.slice(at, at + 3) }
      expect({ params, path, count: walked.length, firstDifference }).toEqual({ params, path, count: expected.length, firstDifference: null })
      expect(walked).toEqual(expected)
    }
    // the random queries really exercised both paths and returned hits
    expect(seen.tiers).toBeGreaterThan(20)
    expect(seen.gin).toBeGreaterThan(5)
    expect(seen.hits).toBeGreaterThan(3000)
  }, 60_000)

  test('a video filter leaving few videos ranks their segments; one leaving many walks the tier lists', async () => {
    const indexesOf = async (raw: Record<string, string>) => {
      const { path, plans } = await explainSearch(db.sql, parseSearchQuery(raw, testCursors))
      const names = (plans as { Plan: PlanNode }[][]).flatMap((p) => p.flatMap((x) => nodesOf(x.Plan).flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []))))
      return { path, postings: names.includes('search_postings_order_idx') }
    }
    const [videos] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM videos WHERE uploaded_at >= '2000-01-01'`
    expect(videos?.n).toBeGreaterThan(50)
    expect(await indexesOf({ q: 'glorpus', channel: 'Chan F' })).toEqual({ path: 'tiers', postings: false })
    expect(await indexesOf({ q: 'glorpus', date_from: '2000-01-01' })).toEqual({ path: 'tiers', postings: true })
  })
})

describe('a transcript with long words', () => {
  // PUT /videos/{id}/transcript takes segment texts up to 10,000 characters, and to_tsvector keeps
  // words up to 2047 bytes: a segment of two such words, side by side, is valid input, though their
  // pair is too long for a btree entry. Letters from a fixed LCG, so that the index cannot compress
  // them away.
  const letters = (n: number, seed: number, alphabet = 'abcdefghijklmnopqrstuvwxyz') => {
    let x = seed
    return Array.from({ length: n }, () => {
      x = (x * 1103515245 + 12345) % 2147483648
      return alphabet[x % alphabet.length]
    }).join('')
  }
  const TOKEN = 'search-tiers-admin-token-0123456789abcdef'
  const put = async (request: (path: string, init?: RequestInit) => Promise<Response>, video: string, texts: string[]) => {
    const res = await request(`/videos/${video}/transcript?source=whisper`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ segments: texts.map((text, i) => ({ start_ms: i * 1000, end_ms: i * 1000 + 900, text })) }),
    })
    expect({ status: res.status, body: res.status === 200 ? 'ok' : await res.text() }).toEqual({ status: 200, body: 'ok' })
  }

  test('two adjacent words of 1,400 letters are stored: each word is a posting term, their pair is not', async () => {
    const app = testApp(db.sql, { env: { ADMIN_TOKEN: TOKEN } })
    const [video] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id, title) VALUES ('tt_longword', 'long words') RETURNING id`
    const [first, second] = [letters(1400, 1), letters(1400, 2)]
    await put(app.request, video?.id ?? '', [`${first} ${second}`])
    const [segment] = await db.sql<{ id: string }[]>`SELECT s.id FROM segments s WHERE s.video_id = ${video?.id ?? ''}`
    expect((await postingsOf(db.sql, Number(segment?.id))).map((p) => [p.term.length, p.tier])).toEqual([
      [1400, 1],
      [1400, 1],
    ])
    await expectPostingsEqual(db.sql, 'long words')
  })

  test('a phrase of words too long to be paired is found by checking its candidates, and only where it is a phrase', async () => {
    const app = testApp(db.sql, { env: { ADMIN_TOKEN: TOKEN } })
    const [video] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id, title) VALUES ('tt_longphrase', 'long phrase') RETURNING id`
    // 3-byte letters: two words of 200 make a 1,201-byte pair (not stored) in a q of 403 characters (within 500)
    const hangul = 'ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ'
    const [first, second] = [letters(200, 3, hangul), letters(200, 4, hangul)]
    await put(app.request, video?.id ?? '', [`${first} ${second}`, `${first} and then much later ${second}`, `${second} ${first}`])
    const q = `"${first} ${second}"`
    expect(await pathOf({ q })).toBe('tiers')
    const body = await ok({ q }, app.request)
    const [phrase] = await db.sql<{ id: string }[]>`SELECT id FROM segments WHERE video_id = ${video?.id ?? ''} AND idx = 0`
    expect(ids(body)).toEqual([Number(phrase?.id)])
    expect(body.items[0]?.rank).toBe(20)
  })
})

describe('query plans', () => {

  async function plansOf(raw: Record<string, string>) {
    const { path, plans } = await explainSearch(db.sql, parseSearchQuery(raw, testCursors))
    const nodes = (plans as { Plan: PlanNode }[][]).flatMap((p) => p.flatMap((s) => nodesOf(s.Plan)))
    return { path, statements: plans.length, nodes }
  }

  test('a common seed word, alone, ORed, filtered or on a later page, and a two-word phrase, reads the postings index only, never the GIN index or a whole table', async () => {
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM search_postings WHERE term = 'know'`
    // common enough that ranking every match through GIN would be the expensive way
    expect(row?.n).toBeGreaterThan(100)
    const { scope } = parseSearchQuery({ q: 'know' }, testCursors)
    const searches: Record<string, string>[] = [
      { q: 'know' },
      { q: 'know or coffee' },
      // a two-word phrase is one term: its adjacent pair ('pretti good')
      { q: '"pretty good"' },
      { q: 'know', source: 'whisper', language: 'en' },
      { q: 'know', cursor: testCursors.encode(scope, ['11', '1']) },
    ]
    for (const raw of searches) {
      const { path, statements, nodes } = await plansOf(raw)
      expect({ raw, path }).toEqual({ raw, path: 'tiers' })
      expect(statements).toBeGreaterThanOrEqual(2) // at least one tier level, then the page
      const postings = nodes.filter((n) => n['Index Name'] === 'search_postings_order_idx')
      expect({ raw, types: [...new Set(postings.map((n) => n['Node Type']))] }).toEqual({ raw, types: ['Index Only Scan'] })
      expect({ raw, gin: nodes.filter((n) => n['Index Name'] === 'segments_text_tsv_idx') }).toEqual({ raw, gin: [] })
      const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && (n['Relation Name'] === 'segments' || n['Relation Name'] === 'search_postings'))
      expect({ raw, seqScans }).toEqual({ raw, seqScans: [] })
    }
  })

  test('an exclusion is checked through the segments heap, still never through the GIN index', async () => {
    const { path, nodes } = await plansOf({ q: 'know -coffee' })
    expect(path).toBe('tiers')
    expect([...new Set(nodes.filter((n) => n['Index Name'] === 'search_postings_order_idx').map((n) => n['Node Type']))]).toEqual(['Index Only Scan'])
    expect(nodes.filter((n) => n['Index Name'] === 'segments_text_tsv_idx')).toEqual([])
    expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'search_postings')).toEqual([])
    // Not asserted here: no Seq Scan on segments. At this seed's 3.6k segments the planner checks
    // the exclusion of the largest tier level (tier 1 of 'know') by a Seq Scan of segments
    // filtered on text_tsv @@ q, sorted and merge-joined, instead of one segments_pkey probe per
    // posting (bitmap scans are off there, and the table is small): a planner choice that depends
    // on table size, so it is for the benchmark on the big seed to pin, not this suite.
  })

  test('an AND query takes the GIN path: a bitmap scan of segments_text_tsv_idx', async () => {
    for (const q of ['pretty good', 'coffee time']) {
      const { path, statements, nodes } = await plansOf({ q })
      expect({ q, path, statements }).toEqual({ q, path: 'gin', statements: 1 })
      const gin = nodes.filter((n) => n['Index Name'] === 'segments_text_tsv_idx')
      expect({ q, types: gin.map((n) => n['Node Type']) }).toEqual({ q, types: ['Bitmap Index Scan'] })
      expect(nodes.filter((n) => n['Index Name'] === 'search_postings_order_idx')).toEqual([])
    }
  })
})
