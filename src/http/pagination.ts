import { t } from 'elysia'
import type { CursorCodec } from './cursor-codec.ts'
import type { CursorValue } from './cursor-fields.ts'

// Keyset pages: `{ items, page_info }`, with an opaque cursor (src/http/cursor-codec.ts) at the last row shown.

export interface Page<T> {
  items: T[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

/**
 * Builds a page from rows fetched with LIMIT limit + 1: the extra row only says whether another
 * page exists (no COUNT(*)); the cursor points at the last row shown.
 */
export function toPage<R, T>(
  cursors: CursorCodec,
  rows: R[],
  limit: number,
  scope: string,
  keyOf: (row: R) => CursorValue[],
  toItem: (row: R) => T,
): Page<T> {
  const hasNext = rows.length > limit
  const shown = hasNext ? rows.slice(0, limit) : rows
  const last = shown.at(-1)
  return {
    items: shown.map(toItem),
    page_info: { next_cursor: hasNext && last !== undefined ? cursors.encode(scope, keyOf(last)) : null, has_next_page: hasNext },
  }
}

/** OpenAPI schema of a page of `item`. */
export const PageSchema = <T extends Parameters<typeof t.Array>[0]>(item: T, title: string) =>
  t.Object(
    {
      items: t.Array(item),
      page_info: t.Object({ next_cursor: t.Union([t.String(), t.Null()]), has_next_page: t.Boolean() }),
    },
    { title },
  )
