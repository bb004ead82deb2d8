import type { TranscriptSource } from '../../http/transcript-sources.ts'
import type { Sql } from '../../platform/db.ts'
import { VIDEO_SORTS, VIDEO_STATES, type VideoPatch } from './model.ts'

// Video queries. Lists are keyset-paginated over (sort key, id) and every list shape has an index
// in sql/0003_video_indexes.sql that returns rows already in order, so a page costs LIMIT rows.

export type VideoState = (typeof VIDEO_STATES)[number]

export type VideoSort = (typeof VIDEO_SORTS)[number]

export interface VideoRow {
  id: string
  job_id: string | null
  youtube_id: string
  title: string | null
  channel_name: string | null
  language: string | null
  category: string | null
  duration_seconds: number | null
  thumbnail_url: string | null
  uploaded_at: Date | null
  state: VideoState
  error: string | null
  created_at: Date
  updated_at: Date
}

export interface VideoDetailRow extends VideoRow {
  transcript_sources: TranscriptSource[]
}

export interface VideoFilters {
  channel?: string | undefined
  language?: string | undefined
  category?: string | undefined
  state?: VideoState | undefined
}

/** The last row of the previous page: its sort key as text (see sortKeyText) and its id. */
export interface VideoKey {
  key: string
  id: string
}

export interface ListVideosInput {
  sort: VideoSort
  filters: VideoFilters
  limit: number
  after?: VideoKey | undefined
}

export type VideoListRow = VideoRow & { sort_key: string }

const COLUMNS = ['id', 'job_id', 'youtube_id', 'title', 'channel_name', 'language', 'category', 'duration_seconds', 'thumbnail_url', 'uploaded_at', 'state', 'error', 'created_at', 'updated_at'] as const

/**
 * The sort key. Videos without an upload date sort as '-infinity', i.e. after every dated video
 * (newest first), ordered among themselves by id: coalescing keeps the key total and NOT NULL, so
 * keyset comparisons never meet a NULL, and the expression indexes match it exactly.
 */
function sortKey(sql: Sql, sort: VideoSort) {
  return sort === 'uploaded_at' ? sql`coalesce(uploaded_at, '-infinity'::timestamptz)` : sql`created_at`
}

/**
 * The key as text for the cursor, at full microsecond precision (a JS Date would drop the
 * microseconds and skip or repeat rows), in UTC ISO form so neither DateStyle nor TimeZone of the
 * session can change it; ±infinity as Postgres spells it.
 */
function sortKeyText(sql: Sql, sort: VideoSort) {
  const k = sortKey(sql, sort)
  return sql`CASE WHEN isfinite(${k}) THEN to_char(${k} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') ELSE ${k}::text END`
}

const none = (sql: Sql) => sql``

/**
 * The list query, not yet run: EXPLAIN tests wrap it to check the plan of the exact SQL served.
 * The cursor key is bound as text and cast in SQL: bound as timestamptz, postgres.js would pass
 * it through a JS Date and drop the microseconds, and the next page would skip rows.
 */
export function listVideosQuery(sql: Sql, { sort, filters, limit, after }: ListVideosInput) {
  const k = sortKey(sql, sort)
  return sql<VideoListRow[]>`
    SELECT ${sql(COLUMNS)}, ${sortKeyText(sql, sort)} AS sort_key
    FROM videos
    WHERE true
      ${filters.channel !== undefined ? sql`AND channel_name = ${filters.channel}` : none(sql)}
      ${filters.language !== undefined ? sql`AND language = ${filters.language}` : none(sql)}
      ${filters.category !== undefined ? sql`AND category = ${filters.category}` : none(sql)}
      ${filters.state !== undefined ? sql`AND state = ${filters.state}::job_state` : none(sql)}
      ${after ? sql`AND (${k}, id) < (${after.key}::text::timestamptz, ${after.id}::uuid)` : none(sql)}
    ORDER BY ${k} DESC, id DESC
    LIMIT ${limit + 1}`
}

/** Up to `limit + 1` rows: the extra one only tells whether another page exists. */
export async function listVideos(sql: Sql, input: ListVideosInput): Promise<VideoListRow[]> {
  return await listVideosQuery(sql, input)
}

const transcriptSources = (sql: Sql) =>
  sql`coalesce((SELECT array_agg(t.source ORDER BY t.source) FROM transcripts t WHERE t.video_id = v.id), '{}') AS transcript_sources`

export async function getVideo(sql: Sql, id: string): Promise<VideoDetailRow | undefined> {
  const [row] = await sql<VideoDetailRow[]>`SELECT v.*, ${transcriptSources(sql)} FROM videos v WHERE v.id = ${id}`
  return row
}

/** Applies a validated, non-empty patch and bumps updated_at; undefined when there is no such video. */
export async function updateVideo(sql: Sql, id: string, patch: VideoPatch): Promise<VideoDetailRow | undefined> {
  const fields = Object.keys(patch) as (keyof VideoPatch)[]
  const [row] = await sql<VideoDetailRow[]>`
    WITH v AS (
      UPDATE videos SET ${sql(patch, fields)}, updated_at = now() WHERE id = ${id} RETURNING *
    )
    SELECT v.*, ${transcriptSources(sql)} FROM v`
  return row
}
