import type { Sql } from '../../platform/db.ts'
import { timestampKey } from '../../http/timestamp-key.ts'
import type { Favorite, NewFavorite } from './model.ts'

// A user's favorite moments: a time range of a video with a note. Every statement filters on the
// owner, so another user's favorite is indistinguishable from one that does not exist.

interface FavoriteRow extends Omit<Favorite, 'created_at'> {
  created_at: Date
  created_key: string
}

export const toFavorite = ({ created_key: _key, ...r }: FavoriteRow): Favorite => ({ ...r, created_at: r.created_at.toISOString() })

/** The page query, newest first over (created_at, id) on favorites_user_created_idx; exported for EXPLAIN tests. */
export function listFavoritesQuery(sql: Sql, userId: string, limit: number, after: [string, string] | undefined) {
  return sql<FavoriteRow[]>`
    SELECT f.id, f.video_id, v.youtube_id, v.title AS video_title, f.start_ms, f.end_ms, f.text, f.created_at,
           ${timestampKey(sql, sql`f.created_at`)} AS created_key
    FROM favorites f JOIN videos v ON v.id = f.video_id
    WHERE f.user_id = ${userId}
      ${after === undefined ? sql`` : sql`AND (f.created_at, f.id) < (${after[0]}::text::timestamptz, ${after[1]}::uuid)`}
    ORDER BY f.created_at DESC, f.id DESC
    LIMIT ${limit + 1}`
}

/** The new favorite, or undefined when the video does not exist. */
export async function createFavorite(sql: Sql, userId: string, f: NewFavorite): Promise<Favorite | undefined> {
  const [row] = await sql<FavoriteRow[]>`
    WITH v AS (SELECT id, youtube_id, title FROM videos WHERE id = ${f.video_id}),
    ins AS (
      INSERT INTO favorites (user_id, video_id, start_ms, end_ms, text)
      SELECT ${userId}, v.id, ${f.start_ms}, ${f.end_ms}, ${f.text ?? null} FROM v
      RETURNING id, video_id, start_ms, end_ms, text, created_at
    )
    SELECT ins.id, ins.video_id, v.youtube_id, v.title AS video_title, ins.start_ms, ins.end_ms, ins.text, ins.created_at, '' AS created_key
    FROM ins CROSS JOIN v`
  return row && toFavorite(row)
}

/** Deletes the user's own favorite; false when it is not theirs or does not exist. */
export async function deleteFavorite(sql: Sql, userId: string, id: string): Promise<boolean> {
  const rows = await sql`DELETE FROM favorites WHERE id = ${id} AND user_id = ${userId} RETURNING id`
  return rows.length > 0
}
