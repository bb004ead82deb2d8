import type { CursorCodec } from '../../http/cursor-codec.ts'
import { timestampOrInfinityField, uuidField } from '../../http/cursor-fields.ts'
import { queryParser } from '../../http/validate.ts'
import { DEFAULT_LIMIT, ListQuery } from './model.ts'
import type { ListVideosInput, VideoFilters, VideoSort } from './queries.ts'

// GET /videos query parameters → a validated list request, by the ListQuery schema. Everything a
// client can send is checked here, so the query can only fail for reasons that are ours.

const parseListQuery = queryParser(ListQuery)

/** The cursor scope: the endpoint, the sort and every filter, so a cursor only fits the list it came from. */
export function videoListScope(sort: VideoSort, f: VideoFilters): string {
  return `GET /videos ${JSON.stringify([sort, f.channel ?? null, f.language ?? null, f.category ?? null, f.state ?? null])}`
}

export function parseVideoListQuery(raw: Record<string, string | undefined>, cursors: CursorCodec): { input: ListVideosInput; scope: string } {
  const q = parseListQuery(raw)
  const sort = q.sort ?? 'created_at'
  const filters: VideoFilters = { channel: q.channel, language: q.language, category: q.category, state: q.state }
  const limit = q.limit ?? DEFAULT_LIMIT
  const scope = videoListScope(sort, filters)
  let after: ListVideosInput['after']
  if (q.cursor !== undefined) {
    // Sort keys are UTC text with microseconds, or -infinity for videos without an upload date.
    const [key, id] = cursors.decode(scope, q.cursor, [timestampOrInfinityField, uuidField])
    after = { key, id }
  }
  return { input: { sort, filters, limit, after }, scope }
}
