import postgres from 'postgres'
import { createPool, type Sql } from '../../src/platform/db.ts'
import { createLogger } from '../../src/platform/log.ts'
import { migrate } from '../../src/platform/migrate.ts'
import { MIGRATION_FILES } from '../../src/platform/migration-files.ts'
import { seedDatabase, type SeedOptions } from '../../src/seed/index.ts'
import { VOCABULARY } from '../../src/seed/vocabulary.ts'

// The benchmark database: created, migrated and seeded when missing or empty, reused otherwise
// (seeding 10,000 videos × 100 segments takes minutes; it is done once per machine).

export interface DatabaseInfo {
  videos: number
  segments: number
  seededNow: boolean
  postgresVersion: string
  sharedBuffers: string
}

const log = createLogger('warn')

/** Creates the database of `url` on its server when it does not exist yet (benchmarks own their databases). */
export async function createIfMissing(url: string): Promise<void> {
  const probe = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await probe`SELECT 1`
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err
    const admin = new URL(url)
    const name = decodeURIComponent(admin.pathname.slice(1))
    admin.pathname = '/postgres'
    const a = postgres(admin.toString(), { max: 1, onnotice: () => {} })
    try {
      console.log(`creating database ${name}`)
      await a.unsafe(`CREATE DATABASE "${name.replaceAll('"', '""')}"`)
    } finally {
      await a.end()
    }
  } finally {
    await probe.end()
  }
}

export async function prepareDatabase(url: string, seed: SeedOptions): Promise<DatabaseInfo> {
  await createIfMissing(url)
  const sql = createPool(url, { max: 2, applicationName: 'bench-http' })
  try {
    await migrate(sql, MIGRATION_FILES, log)
    const [has] = await sql<{ any: boolean }[]>`SELECT EXISTS (SELECT 1 FROM segments) AS any`
    let seededNow = false
    if (!has?.any) {
      console.log(`seeding ${seed.videos.toLocaleString('en')} videos × ${seed.segmentsPerVideo} segments (seed ${seed.seed}); once per database`)
      const started = performance.now()
      await seedDatabase(sql, seed)
      await sql`ANALYZE`
      console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`)
      seededNow = true
    }
    const [row] = await sql<{ videos: string; segments: string; version: string; shared_buffers: string }[]>`
      SELECT (SELECT count(*) FROM videos)::text AS videos,
             (SELECT reltuples::bigint FROM pg_class WHERE oid = 'segments'::regclass)::text AS segments,
             current_setting('server_version') AS version, current_setting('shared_buffers') AS shared_buffers`
    return {
      videos: Number(row?.videos ?? 0),
      segments: Number(row?.segments ?? 0),
      seededNow,
      postgresVersion: row?.version ?? '?',
      sharedBuffers: row?.shared_buffers ?? '?',
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** The dedicated video of issue 4's benchmark; old enough to sort last in GET /videos. */
export const BENCH_VIDEO_YOUTUBE_ID = 'BENCH1000sg'
export const BENCH_SEGMENTS = 1000

/** Creates the bench video row if missing; returns its id and how many whisper segments it has. */
export async function benchVideo(url: string): Promise<{ id: string; segments: number }> {
  const sql: Sql = createPool(url, { max: 1, applicationName: 'bench-http' })
  try {
    await sql`
      INSERT INTO videos (youtube_id, title, channel_name, language, category, duration_seconds, thumbnail_url, uploaded_at, state, created_at, updated_at)
      VALUES (${BENCH_VIDEO_YOUTUBE_ID}, 'Benchmark: a 1,000-segment transcript', 'transcript-api bench', 'en', 'Education', 4000,
              ${`https://i.ytimg.com/vi/${BENCH_VIDEO_YOUTUBE_ID}/hqdefault.jpg`}, '2000-01-01', 'completed', '2000-01-01', '2000-01-01')
      ON CONFLICT (youtube_id) DO NOTHING`
    const [row] = await sql<{ id: string; segments: string }[]>`
      SELECT v.id, (SELECT count(*) FROM segments s JOIN transcripts t ON t.id = s.transcript_id
                    WHERE t.video_id = v.id AND t.source = 'whisper')::text AS segments
      FROM videos v WHERE v.youtube_id = ${BENCH_VIDEO_YOUTUBE_ID}`
    if (!row) throw new Error('bench video row missing after insert')
    return { id: row.id, segments: Number(row.segments) }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** A deterministic 1,000-segment JSON transcript for PUT /videos/{id}/transcript (the ingest path). */
export function benchTranscriptBody(): string {
  let state = 12345
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
  const words = VOCABULARY.slice(0, 2000)
  const segments = Array.from({ length: BENCH_SEGMENTS }, (_, i) => {
    const n = 8 + Math.floor(next() * 8)
    const text = Array.from({ length: n }, () => words[Math.floor(next() * words.length)] ?? 'so').join(' ')
    return {
      start_ms: i * 4000,
      end_ms: i * 4000 + 3600,
      text: text.charAt(0).toUpperCase() + text.slice(1) + '.',
      speaker_label: i % 7 < 4 ? 'SPEAKER_00' : 'SPEAKER_01',
      confidence: Math.round((0.8 + next() * 0.2) * 1000) / 1000,
    }
  })
  return JSON.stringify({ language: 'en', model: 'bench', segments })
}
