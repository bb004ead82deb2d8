import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPool, type Sql } from '../src/platform/db.ts'
import { EMBEDDED_POOL_MAX, startEmbeddedDatabase } from '../src/platform/embedded-db.ts'
import { migrate } from '../src/platform/migrate.ts'
import { MIGRATION_FILES } from '../src/platform/migration-files.ts'
import { restoreAfterBulkLoad, suspendForBulkLoad } from '../src/seed/bulk-load.ts'
import { youtubeId } from '../src/seed/ids.ts'
import { DEMO_SEED, hasVideos, SeedConflictError, seedDatabase, type SeedCounts, type SeedOptions } from '../src/seed/index.ts'
import { copyLoader } from '../src/seed/loaders.ts'
import { buildPlan } from '../src/seed/plan.ts'
import { JsonCell, type Row } from '../src/seed/rows.ts'
import { seedDatabaseWith } from '../src/seed/seed-database.ts'
import { VOCABULARY } from '../src/seed/vocabulary.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'

// The seed on the real PostgreSQL, each database fresh: what it loads (counts, shapes,
// distributions), that it is deterministic, and that it is all-or-nothing.

const SMALL: SeedOptions = { videos: 60, segmentsPerVideo: 30, seed: 7 }
const TABLES = ['videos', 'transcripts', 'segments', 'users', 'sessions', 'events', 'favorites', 'jobs'] as const

async function rowCounts(sql: Sql): Promise<SeedCounts> {
  const [row] = await sql<SeedCounts[]>`
    SELECT (SELECT count(*)::int FROM videos) AS videos, (SELECT count(*)::int FROM transcripts) AS transcripts,
           (SELECT count(*)::int FROM segments) AS segments, (SELECT count(*)::int FROM users) AS users,
           (SELECT count(*)::int FROM sessions) AS sessions, (SELECT count(*)::int FROM events) AS events,
           (SELECT count(*)::int FROM favorites) AS favorites, (SELECT count(*)::int FROM jobs) AS jobs`
  if (!row) throw new Error('no counts')
  return row
}

/** Everything a seed decides about one seed's videos and their segments, as a few hashes. */
async function fingerprint(sql: Sql, seed: number, videos: number) {
  const ids = Array.from({ length: videos }, (_, i) => youtubeId(seed, i))
  const [row] = await sql<{ titles: string; youtube_ids: string; segments: string; jobs: string }[]>`
    SELECT
      (SELECT md5(string_agg(concat_ws('|', title, channel_name, language, category, duration_seconds, uploaded_at, state), E'\\n' ORDER BY youtube_id))
         FROM videos WHERE youtube_id = ANY(${ids})) AS titles,
      (SELECT md5(string_agg(youtube_id, ',' ORDER BY created_at, youtube_id)) FROM videos WHERE youtube_id = ANY(${ids})) AS youtube_ids,
      (SELECT md5(string_agg(concat_ws('|', v.youtube_id, t.source, s.idx, s.start_ms, s.end_ms, s.text, s.speaker_label, s.confidence), E'\\n'
                  ORDER BY v.youtube_id, t.source, s.idx))
         FROM segments s JOIN transcripts t ON t.id = s.transcript_id JOIN videos v ON v.id = s.video_id
         WHERE v.youtube_id = ANY(${ids})) AS segments,
      (SELECT md5(string_agg(concat_ws('|', j.input_url, j.state, j.meta::text, j.created_at), E'\\n' ORDER BY j.input_url, j.created_at))
         FROM jobs j WHERE j.meta->>'youtube_id' = ANY(${ids})) AS jobs`
  return row
}

let a: TestDatabase
let b: TestDatabase
let countsA: SeedCounts

beforeAll(async () => {
  ;[a, b] = await Promise.all([createTestDatabase({ migrated: true }), createTestDatabase({ migrated: true })])
  countsA = await seedDatabase(a.sql, SMALL)
}, 60_000)

afterAll(async () => {
  await Promise.all([a?.drop(), b?.drop()])
})

describe('seed: what it loads', () => {
  test('the counts it returns are the rows in the tables', async () => {
    expect(await rowCounts(a.sql)).toEqual(countsA)
    expect(countsA.videos).toBe(SMALL.videos)
    for (const table of TABLES) expect(countsA[table]).toBeGreaterThan(0)
    // About segmentsPerVideo per transcript, and a transcript for most videos.
    expect(countsA.segments / countsA.transcripts).toBeGreaterThan(SMALL.segmentsPerVideo * 0.6)
    expect(countsA.segments / countsA.transcripts).toBeLessThan(SMALL.segmentsPerVideo * 1.5)
    expect(await hasVideos(a.sql)).toBe(true)
    expect(await hasVideos(b.sql)).toBe(false)
  })

  test('every job_state is present, and videos link to jobs that name them', async () => {
    const states = await a.sql<{ state: string }[]>`SELECT DISTINCT state::text AS state FROM jobs ORDER BY 1`
    const all = await a.sql<{ state: string }[]>`SELECT unnest(enum_range(NULL::job_state))::text AS state ORDER BY 1`
    expect(states.map((r) => r.state)).toEqual(all.map((r) => r.state))
    const [links] = await a.sql<{ unlinked: number; mismatched: number }[]>`
      SELECT count(*) FILTER (WHERE v.job_id IS NULL)::int AS unlinked,
             count(*) FILTER (WHERE j.meta->>'youtube_id' IS DISTINCT FROM v.youtube_id OR j.state <> v.state)::int AS mismatched
      FROM videos v LEFT JOIN jobs j ON j.id = v.job_id`
    expect(links).toEqual({ unlinked: 0, mismatched: 0 })
  })

  test('whisper and youtube transcripts: most videos have whisper, some youtube, some both, a few none', async () => {
    const rows = await a.sql<{ kind: string; n: number }[]>`
      SELECT kind, count(*)::int AS n FROM (
        SELECT coalesce(string_agg(t.source, '+' ORDER BY t.source), 'none') AS kind
        FROM videos v LEFT JOIN transcripts t ON t.video_id = v.id GROUP BY v.id) k
      GROUP BY kind`
    const by = Object.fromEntries(rows.map((r) => [r.kind, r.n]))
    expect(by.whisper ?? 0).toBeGreaterThan(SMALL.videos / 2)
    // The mix is random per video; over 60 videos each kind is all but certain to appear, but the
    // plan itself is the ground truth, so check it rather than hope.
    const plan = buildPlan(SMALL.seed, SMALL.videos, SMALL.segmentsPerVideo)
    const kinds = plan.videos.map((v) => v.transcripts.map((t) => t.source).sort().join('+') || 'none')
    for (const kind of new Set(kinds)) expect(by[kind]).toBe(kinds.filter((k) => k === kind).length)
    expect(new Set(kinds)).toContain('whisper+youtube')
    expect(new Set(kinds)).toContain('youtube')
  })

  test('uploads span at least two years; languages are mostly English', async () => {
    const [span] = await a.sql<{ days: number; english: number }[]>`
      SELECT extract(epoch FROM max(uploaded_at) - min(uploaded_at))::float8 / 86400 AS days,
             avg((language = 'en')::int)::float8 AS english
      FROM videos`
    expect(span?.days).toBeGreaterThan(2 * 365)
    expect(span?.english).toBeGreaterThan(0.6)
    expect(span?.english).toBeLessThan(1)
  })

  test('segments of each transcript are numbered 0..n-1, in time order, and never overlap', async () => {
    const [bad] = await a.sql<{ overlapping: number; misnumbered: number; inverted: number; past_end: number }[]>`
      SELECT count(*) FILTER (WHERE start_ms < prev_end)::int AS overlapping,
             count(*) FILTER (WHERE idx <> rn - 1)::int AS misnumbered,
             count(*) FILTER (WHERE end_ms <= start_ms)::int AS inverted,
             count(*) FILTER (WHERE end_ms > duration_seconds * 1000)::int AS past_end
      FROM (
        SELECT s.idx, s.start_ms, s.end_ms, v.duration_seconds,
               lag(s.end_ms) OVER w AS prev_end, row_number() OVER w AS rn
        FROM segments s JOIN videos v ON v.id = s.video_id
        WINDOW w AS (PARTITION BY s.transcript_id ORDER BY s.idx)) x`
    expect(bad).toEqual({ overlapping: 0, misnumbered: 0, inverted: 0, past_end: 0 })
  })

  test('speaker labels sometimes, confidence only on whisper, sessions store only a sha256', async () => {
    const [s] = await a.sql<{ labelled: number; youtube_scored: number; whisper_unscored: number }[]>`
      SELECT count(*) FILTER (WHERE s.speaker_label IS NOT NULL)::int AS labelled,
             count(*) FILTER (WHERE t.source = 'youtube' AND s.confidence IS NOT NULL)::int AS youtube_scored,
             count(*) FILTER (WHERE t.source = 'whisper' AND (s.confidence IS NULL OR s.confidence NOT BETWEEN 0 AND 1))::int AS whisper_unscored
      FROM segments s JOIN transcripts t ON t.id = s.transcript_id`
    expect(s?.labelled).toBeGreaterThan(0)
    expect(s?.labelled).toBeLessThan(countsA.segments)
    expect(s?.youtube_scored).toBe(0)
    expect(s?.whisper_unscored).toBe(0)
    const sessions = await a.sql<{ token_hash: string }[]>`SELECT token_hash FROM sessions`
    for (const { token_hash } of sessions) expect(token_hash).toMatch(/^[0-9a-f]{64}$/)
    const [users] = await a.sql<{ admins: number; pro: number; free: number }[]>`
      SELECT count(*) FILTER (WHERE role = 'admin')::int AS admins, count(*) FILTER (WHERE plan = 'pro')::int AS pro,
             count(*) FILTER (WHERE plan = 'free')::int AS free FROM users`
    expect(users?.admins).toBe(2)
    expect(users?.pro).toBeGreaterThan(0)
    expect(users?.free).toBeGreaterThan(0)
  })

  test('favorites quote the text and time range of real segments', async () => {
    const [row] = await a.sql<{ total: number; matching: number }[]>`
      SELECT count(*)::int AS total, count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM segments s WHERE s.video_id = f.video_id AND s.start_ms = f.start_ms AND position(s.text IN f.text) = 1))::int AS matching
      FROM favorites f`
    expect(row?.matching).toBe(row?.total)
  })

  test('word frequencies are Zipf-like: the top word is far more frequent than the 100th', async () => {
    const rows = await a.sql<{ text: string }[]>`
      SELECT s.text FROM segments s JOIN transcripts t ON t.id = s.transcript_id WHERE t.source = 'youtube'
      UNION ALL
      SELECT lower(s.text) FROM segments s JOIN transcripts t ON t.id = s.transcript_id
      WHERE t.source = 'whisper' AND NOT EXISTS (SELECT 1 FROM transcripts y WHERE y.video_id = t.video_id AND y.source = 'youtube')`
    const counts = new Map<string, number>()
    for (const { text } of rows) for (const w of text.split(/[^a-z']+/)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1)
    const ranked = [...counts.values()].sort((x, y) => y - x)
    expect(ranked.length).toBeGreaterThan(500)
    const [first = 0, hundredth = 0] = [ranked[0], ranked[99]]
    expect(first).toBeGreaterThan(10 * hundredth)
  })

  test('full-text search: a common word matches many more segments than a rare one', async () => {
    const count = async (word: string) => {
      const [row] = await a.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM segments WHERE text_tsv @@ plainto_tsquery('english', ${word})`
      return row?.n ?? 0
    }
    // "know" is among the most frequent non-stopwords; the rare word is from the vocabulary's tail.
    const common = await count('know')
    const rare = await count(VOCABULARY[VOCABULARY.length - 50] ?? 'comic')
    expect(common).toBeGreaterThan(40)
    expect(common).toBeGreaterThan(10 * (rare + 1))
  })
})

describe('seed: deterministic, and side by side with other seeds', () => {
  test('the same seed gives identical content in another database (INSERT loader there); another seed differs', async () => {
    const counts = await seedDatabaseWith(b.sql, SMALL, undefined, { loader: 'insert' })
    expect(counts).toEqual(countsA)
    const fromA = await fingerprint(a.sql, SMALL.seed, SMALL.videos)
    expect(await fingerprint(b.sql, SMALL.seed, SMALL.videos)).toEqual(fromA)

    // Seed 8 goes into the same database as seed 7: ids never collide.
    const other = await seedDatabase(b.sql, { ...SMALL, seed: 8 })
    expect((await rowCounts(b.sql)).videos).toBe(countsA.videos + other.videos)
    const fromOther = await fingerprint(b.sql, 8, SMALL.videos)
    expect(fromOther?.titles).not.toBe(fromA?.titles)
    expect(fromOther?.youtube_ids).not.toBe(fromA?.youtube_ids)
    expect(fromOther?.segments).not.toBe(fromA?.segments)
  }, 30_000)

  test('seeding the same seed twice fails with a clear message and changes nothing', async () => {
    const before = await rowCounts(a.sql)
    const attempt = seedDatabase(a.sql, { ...SMALL, videos: 5 })
    expect(attempt).rejects.toThrow(SeedConflictError)
    expect(attempt).rejects.toThrow(/seed 7 is already loaded/)
    await attempt.catch(() => {})
    expect(await rowCounts(a.sql)).toEqual(before)
  })
})

describe('seed: all or nothing', () => {
  test('a row the database rejects late in the load rolls everything back and reports the real error', async () => {
    const db = await createTestDatabase({ migrated: true })
    try {
      // The seed's first user already exists: users load after ~10k rows of other tables, and
      // the failing COPY is small enough that PostgreSQL only answers after the data is all sent.
      const plan = buildPlan(3, 10, 10)
      const first = plan.users[0]
      if (!first) throw new Error('plan has no users')
      await db.sql`INSERT INTO users (oauth_provider, oauth_subject) VALUES (${first.oauthProvider}, ${first.oauthSubject})`
      const attempt = seedDatabase(db.sql, { videos: 10, segmentsPerVideo: 10, seed: 3 })
      expect(attempt).rejects.toThrow(/duplicate key value violates unique constraint "users_oauth_provider_oauth_subject_key"/)
      await attempt.catch(() => {})
      expect(await rowCounts(db.sql)).toEqual({ videos: 0, transcripts: 0, segments: 0, users: 1, sessions: 0, events: 0, favorites: 0, jobs: 0 })
      // The pool's connection is usable again (the transaction was rolled back, not left open).
      expect(await hasVideos(db.sql)).toBe(false)
    } finally {
      await db.drop()
    }
  }, 30_000)

  test('COPY text escaping round-trips tabs, newlines, backslashes, NULLs, unicode and jsonb', async () => {
    const values = ['tab\there', 'line\nbreak', 'back\\slash \\N', 'carriage\rreturn', 'ゆっくり科学 — “quotes”', '']
    const read = await a.sql.begin(async (tx) => {
      await tx`CREATE TEMP TABLE copy_check (n int, t text, j jsonb) ON COMMIT DROP`
      const rows: Row[] = values.map((t, n) => [n, t, new JsonCell({ t, nested: ['\\', '\t'] })])
      rows.push([values.length, null, null])
      await copyLoader(tx).load({ table: 'copy_check', columns: ['n', 't', 'j'], total: rows.length, rows }, () => {})
      return tx<{ n: number; t: string | null; j: { t: string; nested: string[] } | null }[]>`SELECT n, t, j FROM copy_check ORDER BY n`
    })
    expect(read.map((r) => r.t)).toEqual([...values, null])
    expect(read.map((r) => r.j?.t ?? null)).toEqual([...values, null])
    expect(read[0]?.j?.nested).toEqual(['\\', '\t'])
  })

  test('bulk-load mode puts back every foreign key and index of segments and of its search postings exactly as it was', async () => {
    const db = await createTestDatabase({ migrated: true })
    try {
      const definitions = (sql: Sql) => sql<{ name: string; definition: string }[]>`
        SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = 'segments'::regclass
        UNION ALL
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN ('segments'::regclass, 'search_postings'::regclass)
        ORDER BY 1, 2`
      const before = await definitions(db.sql)
      expect(before.map((d) => d.name)).toContain('segments_text_tsv_idx')
      await db.sql.begin(async (tx) => {
        const suspended = await suspendForBulkLoad(tx, 1_000_000, { indexes: true, foreignKeys: true })
        expect(suspended.map((s) => s.name).sort()).toEqual(['search_postings_order_idx', 'segments_text_tsv_idx', 'segments_transcript_id_fkey', 'segments_video_id_fkey'])
        const [left] = await tx<{ n: number }[]>`
          SELECT (SELECT count(*) FROM pg_indexes WHERE indexname IN ('segments_text_tsv_idx', 'search_postings_order_idx'))
               + (SELECT count(*) FROM pg_constraint WHERE conrelid = 'segments'::regclass AND contype = 'f') AS n`
        expect(Number(left?.n)).toBe(0)
        await restoreAfterBulkLoad(tx, suspended, () => {})
      })
      expect(await definitions(db.sql)).toEqual(before)
    } finally {
      await db.drop()
    }
  })
})

describe('seed: the embedded database', () => {
  test('DEMO_SEED is about 200 videos', () => {
    expect(DEMO_SEED.videos).toBeGreaterThanOrEqual(150)
    expect(DEMO_SEED.videos).toBeLessThanOrEqual(250)
  })

  test('seeds PGlite through its socket with one pooled connection (INSERT fallback)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ta-seed-pglite-'))
    const embedded = await startEmbeddedDatabase(dir)
    const sql = createPool(embedded.url, { max: EMBEDDED_POOL_MAX, applicationName: 'seed test' })
    try {
      await migrate(sql, MIGRATION_FILES, quietLog)
      const opts = { videos: 12, segmentsPerVideo: 10, seed: 11 }
      const counts = await seedDatabase(sql, opts)
      expect(await rowCounts(sql)).toEqual(counts)
      expect(seedDatabase(sql, opts)).rejects.toThrow(SeedConflictError)
      expect(await rowCounts(sql)).toEqual(counts)
    } finally {
      await sql.end({ timeout: 5 })
      await embedded.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
