import { t } from 'elysia'
import { ErrorSchema } from '../../http/errors.ts'
import { PageSchema } from '../../http/pagination.ts'

// OpenAPI schemas and limits of the favorites routes.

export const MAX_FAVORITE_TEXT = 2000
export const MAX_FAVORITE_BODY_BYTES = 16 * 1024
export const MAX_MS = 2_147_483_647
export const FAVORITES_DEFAULT_LIMIT = 20
export const FAVORITES_MAX_LIMIT = 100

export const errorSchema = (description: string) => t.Object(ErrorSchema.properties, { description })

export const FavoriteSchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    video_id: t.String({ format: 'uuid' }),
    youtube_id: t.String({ examples: ['dQw4w9WgXcQ'] }),
    video_title: t.Nullable(t.String()),
    start_ms: t.Integer({ examples: [61000] }),
    end_ms: t.Integer({ examples: [75500] }),
    text: t.Nullable(t.String({ examples: ['the best explanation of caching'] })),
    created_at: t.String({ format: 'date-time' }),
  },
  { title: 'Favorite' },
)

export const FavoritePageSchema = PageSchema(FavoriteSchema, 'FavoritePage')

export const ListQuery = t.Object({
  limit: t.Optional(t.String({ description: `1..${FAVORITES_MAX_LIMIT}, default ${FAVORITES_DEFAULT_LIMIT}`, examples: ['20'] })),
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page' })),
})

export const IdParams = t.Object({ id: t.String({ description: 'Favorite id (UUID)' }) })

export const createRequestBody = {
  required: true,
  content: {
    'application/json': {
      schema: t.Object(
        {
          video_id: t.String({ format: 'uuid' }),
          start_ms: t.Integer({ minimum: 0, maximum: MAX_MS, examples: [61000] }),
          end_ms: t.Integer({ minimum: 0, maximum: MAX_MS, description: 'at least start_ms', examples: [75500] }),
          text: t.Optional(t.Nullable(t.String({ maxLength: MAX_FAVORITE_TEXT, examples: ['the best explanation of caching'] }))),
        },
        { title: 'NewFavorite', additionalProperties: false },
      ) as unknown as Record<string, unknown>,
    },
  },
}
