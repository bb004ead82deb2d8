import type { Sql } from '../platform/db.ts'
import { MAX_INDEX, MAX_SEED, youtubeId } from './ids.ts'
import { copyLoader, insertLoader, type Tx } from './loaders.ts'
import { buildPlan } from './plan.ts'
import { eventRows, favoriteRows, jobRows, segmentRows, sessionRows, transcriptRows, userRows, videoRows, type TableRows } from './rows.ts'
import { restoreAfterBulkLoad, suspendForBulkLoad } from './bulk-load.ts'

// Loads a planned data set in ONE transaction: a failure anywhere (a conflicting seed, a full
// disk, Ctrl-C) leaves the database exactly as it was, never half-seeded.

export interface SeedOptions {
  videos: number
  segmentsPerVideo: number
  seed: number
}

export interface SeedCounts {
  videos: number
  transcripts: number
  segments: number
  users: number
  sessions: number
  events: number
  favorites: number
  jobs: number
}

export interface SeedProgress {
  phase: string
  done: number
  total: number
}

/** Upper bounds that keep a seed's plan in memory and its ids within their encoding. */
export const MAX_VIDEOS = 1_000_000
export const MAX_SEGMENTS_PER_VIDEO = 10_000

/** The same seed twice in one database: its ids would collide. */
export class SeedConflictError extends Error {}

export function validateSeedOptions({ videos, segmentsPerVideo, seed }: SeedOptions): void {
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer from ${min} to ${max} (got ${value})`)
  }
  check('videos', videos, 1, Math.min(MAX_VIDEOS, MAX_INDEX))
  check('segmentsPerVideo', segmentsPerVideo, 1, MAX_SEGMENTS_PER_VIDEO)
  check('seed', seed, 0, MAX_SEED)
}

export async function hasVideos(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ present: boolean }[]>`SELECT EXISTS (SELECT 1 FROM videos) AS present`
  return row?.present ?? false
}

/** PGlite names itself in version(); its socket server cannot take COPY FROM STDIN. */
async function isPglite(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ version: string }[]>`SELECT version() AS version`
  return row?.version.includes('PGlite') ?? false
}

function conflict(seed: number, id: string): SeedConflictError {
  return new SeedConflictError(
    `seed ${seed} is already loaded in this database (video ${id} exists); nothing was changed. ` +
      'Use another --seed, or seed an empty database.',
  )
}

/** Every seed's first video has a known id: finding it means this seed was loaded before. */
async function assertSeedAbsent(tx: Tx, seed: number): Promise<void> {
  const first = youtubeId(seed, 0)
  const [row] = await tx<{ present: boolean }[]>`SELECT EXISTS (SELECT 1 FROM videos WHERE youtube_id = ${first}) AS present`
  if (row?.present) throw conflict(seed, first)
}

/** A concurrent seed of the same --seed gets past the check and fails on the unique key instead. */
function explainFailure(err: unknown, seed: number): unknown {
  const pg = err as { code?: unknown; constraint_name?: unknown; detail?: unknown }
  if (pg.code === '23505' && pg.constraint_name === 'videos_youtube_id_key') {
    const id = /\(youtube_id\)=\(([^)]+)\)/.exec(String(pg.detail ?? ''))?.[1] ?? youtubeId(seed, 0)
    return conflict(seed, id)
  }
  return err
}

const TABLES = ['jobs', 'videos', 'transcripts', 'segments', 'users', 'sessions', 'favorites', 'events'] as const

export async function seedDatabase(sql: Sql, opts: SeedOptions, onProgress?: (p: SeedProgress) => void): Promise<SeedCounts> {
  return seedDatabaseWith(sql, opts, onProgress)
}

/**
 * seedDatabase, with the loader forced: tests use it to check that both loaders store identical
 * rows, and that COPY is what PostgreSQL gets. By default PGlite gets INSERTs, PostgreSQL COPY.
 */
export async function seedDatabaseWith(
  sql: Sql,
  opts: SeedOptions,
  onProgress: (p: SeedProgress) => void = () => {},
  force: { loader?: 'copy' | 'insert' } = {},
): Promise<SeedCounts> {
  validateSeedOptions(opts)
  const plan = buildPlan(opts.seed, opts.videos, opts.segmentsPerVideo)
  const embedded = await isPglite(sql)
  const method = force.loader ?? (embedded ? 'insert' : 'copy')
  // Order matters: referenced rows first, and favorites after segments (whose text they quote).
  const tables: TableRows[] = [jobRows(plan), videoRows(plan), transcriptRows(plan), segmentRows(plan), userRows(plan), sessionRows(plan), favoriteRows(plan), eventRows(plan)]

  let counts: SeedCounts
  try {
    counts = await sql.begin(async (tx) => {
      await assertSeedAbsent(tx, plan.seed)
      const loader = method === 'insert' ? insertLoader(tx) : copyLoader(tx)
      // Measured on 10,000 x 100 (1.07M segments, PostgreSQL 15, 2 busy cores): the foreign-key
      // triggers fired at the end of COPY took 11-28 s, re-adding both keys 1-2 s; COPY with the GIN
      // index in place took ~6 s longer than without it, and rebuilding it 2-3 s.
      const suspended = await suspendForBulkLoad(tx, plan.segmentCount, { indexes: true, foreignKeys: true })
      const loaded: Record<string, number> = {}
      for (const t of tables) {
        let done = 0
        onProgress({ phase: t.table, done, total: t.total })
        loaded[t.table] = await loader.load(t, (n) => {
          done += n
          onProgress({ phase: t.table, done, total: t.total })
        })
      }
      if (suspended.length > 0) {
        // A GIN build sorts its entries in maintenance_work_mem; the default 64MB spills to disk.
        // Raised for this transaction only, and never lowered; PGlite's memory is tight, so not there.
        if (!embedded) {
          await tx`
            SELECT set_config('maintenance_work_mem', '512MB', true)
            WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < 512 * 1024 * 1024`
        }
        let restored = 0
        onProgress({ phase: 'rebuild', done: 0, total: suspended.length })
        await restoreAfterBulkLoad(tx, suspended, () => onProgress({ phase: 'rebuild', done: ++restored, total: suspended.length }))
      }
      const n = (table: (typeof TABLES)[number]) => loaded[table] ?? 0
      return {
        videos: n('videos'),
        transcripts: n('transcripts'),
        segments: n('segments'),
        users: n('users'),
        sessions: n('sessions'),
        events: n('events'),
        favorites: n('favorites'),
        jobs: n('jobs'),
      }
    })
  } catch (err) {
    throw explainFailure(err, plan.seed)
  }

  // Outside the transaction: statistics of committed rows, so the planner sees the new sizes
  // (autovacuum would get there too, but only after the first slow queries). The search postings
  // the triggers wrote are vacuumed too: searches read them index-only once the visibility map
  // says their pages are all visible, which autovacuum would only record later.
  onProgress({ phase: 'analyze', done: 0, total: 1 })
  await sql.unsafe(`ANALYZE ${TABLES.join(', ')}`)
  await sql.unsafe('VACUUM (ANALYZE) search_postings')
  onProgress({ phase: 'analyze', done: 1, total: 1 })
  return counts
}
