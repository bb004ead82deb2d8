import { badRequest } from '../../http/errors.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { timestampOrInfinityField, uuidField } from '../../http/cursor-fields.ts'
import { parseEnum, parseLimit } from '../../http/params.ts'
import { VIDEO_SORTS, VIDEO_STATES, type ListVideosInput, type VideoFilters, type VideoSort } from './queries.ts'

// GET /videos query parameters → a validated list request. Everything a client can send is
// checked here, so the query can only fail for reasons that are ours.

export const DEFAULT_LIMIT = 20
export const MAX_LIMIT = 100
const MAX_FILTER_CHARS = 200

export interface VideoListQuery {
  sort?: string
  channel?: string
  language?: string
  category?: string
  state?: string
  limit?: string
  cursor?: string
}

/** An optional free-text filter: absent when empty; control characters (NUL breaks Postgres) and overlong values are 400s. */
function parseFilter(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined
  if (raw.length > MAX_FILTER_CHARS || /[\u0000-\u001f\u007f]/.test(raw)) {
    throw badRequest(`invalid_${name}`, `${name} must be at most ${MAX_FILTER_CHARS} characters without control characters`)
  }
  return raw
}

/** The cursor scope: the endpoint, the sort and every filter, so a cursor only fits the list it came from. */
export function videoListScope(sort: VideoSort, f: VideoFilters): string {
  return `GET /videos ${JSON.stringify([sort, f.channel ?? null, f.language ?? null, f.category ?? null, f.state ?? null])}`
}

export function parseVideoListQuery(q: VideoListQuery, cursors: CursorCodec): { input: ListVideosInput; scope: string } {
  const sort = parseEnum('sort', q.sort, VIDEO_SORTS) ?? 'created_at'
  const filters: VideoFilters = {
    channel: parseFilter('channel', q.channel),
    language: parseFilter('language', q.language),
    category: parseFilter('category', q.category),
    state: parseEnum('state', q.state, VIDEO_STATES),
  }
  const limit = parseLimit(q.limit, DEFAULT_LIMIT, MAX_LIMIT)
  const scope = videoListScope(sort, filters)
  let after: ListVideosInput['after']
  if (q.cursor !== undefined && q.cursor !== '') {
    // Sort keys are UTC text with microseconds, or -infinity for videos without an upload date.
    const [key, id] = cursors.decode(scope, q.cursor, [timestampOrInfinityField, uuidField])
    after = { key, id }
  }
  return { input: { sort, filters, limit, after }, scope }
}
