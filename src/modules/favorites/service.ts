import type { CursorCodec } from '../../http/cursor-codec.ts'
import { toPage } from '../../http/pagination.ts'
import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { NotFound } from '../../platform/domain-errors.ts'
import type { NewFavorite } from './model.ts'
import { createFavorite, deleteFavorite, listFavoritesQuery, toFavorite } from './queries.ts'

// A user's favorites: every call names the owner, and someone else's favorite is as missing as a
// favorite that does not exist (ids of other users' data are not confirmed).

/** The scope names the owner too: a cursor is only good for the list it came from. */
export const favoriteListScope = (userId: string) => `GET /favorites ${userId}`

export function createFavoriteService(deps: { sql: Sql; cursors: CursorCodec; timed: Timed }) {
  const { sql, timed } = deps
  return {
    async list(userId: string, limit: number, after: [string, string] | undefined) {
      const rows = await timed('favorite_list', () => listFavoritesQuery(sql, userId, limit, after), [userId, after])
      return toPage(deps.cursors, rows, limit, favoriteListScope(userId), (r) => [r.created_key, r.id], toFavorite)
    },
    async create(userId: string, input: NewFavorite) {
      const favorite = await timed('favorite_create', () => createFavorite(sql, userId, input))
      if (!favorite) throw new NotFound('video_not_found', `no video with id ${input.video_id}`)
      return favorite
    },
    async delete(userId: string, id: string): Promise<void> {
      if (!(await timed('favorite_delete', () => deleteFavorite(sql, userId, id)))) throw new NotFound('favorite_not_found', `you have no favorite with id ${id}`)
    },
  }
}

export type FavoriteService = ReturnType<typeof createFavoriteService>
