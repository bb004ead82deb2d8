import { type Static, Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { PageSchema } from '../../http/pagination.ts'
import { Text } from '../../http/text.ts'

// The favorites routes' schemas and limits: the single source of their validation, types and OpenAPI components.

export const MAX_FAVORITE_TEXT = 2000
export const MAX_FAVORITE_BODY_BYTES = 16 * 1024
export const MAX_MS = 2_147_483_647
export const FAVORITES_DEFAULT_LIMIT = 20
export const FAVORITES_MAX_LIMIT = 100

export const FavoriteSchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    video_id: t.String({ format: 'uuid' }),
    youtube_id: t.String({ examples: ['dQw4w9WgXcQ'] }),
    video_title: t.Nullable(t.String()),
    start_ms: Type.Integer({ examples: [61000] }),
    end_ms: Type.Integer({ examples: [75500] }),
    text: t.Nullable(t.String({ examples: ['the best explanation of caching'] })),
    created_at: t.String({ format: 'date-time' }),
  },
  { title: 'Favorite' },
)

export type Favorite = Static<typeof FavoriteSchema>

export const FavoritePageSchema = PageSchema(FavoriteSchema, 'FavoritePage')

export const ListQuery = t.Object({
  limit: t.Optional(
    Type.Integer({ minimum: 1, maximum: FAVORITES_MAX_LIMIT, default: FAVORITES_DEFAULT_LIMIT, description: `1..${FAVORITES_MAX_LIMIT}, default ${FAVORITES_DEFAULT_LIMIT}` }),
  ),
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page' })),
})

export const IdParams = t.Object({ id: t.String({ format: 'uuid', description: 'Favorite id (UUID)' }) })

export const NewFavoriteSchema = t.Object(
  {
    video_id: t.String({ format: 'uuid', examples: ['5f0c6c1e-8d5a-4f7e-9a43-2b1f0b6c9d10'] }),
    start_ms: Type.Integer({ minimum: 0, maximum: MAX_MS, examples: [61000] }),
    end_ms: Type.Integer({ minimum: 0, maximum: MAX_MS, description: 'at least start_ms', examples: [75500] }),
    text: t.Optional(t.Nullable(Text({ maxLength: MAX_FAVORITE_TEXT, multiLine: true }, { examples: ['the best explanation of caching'] }))),
  },
  { title: 'NewFavorite', additionalProperties: false },
)

export type NewFavorite = Static<typeof NewFavoriteSchema>
