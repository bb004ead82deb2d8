import { badRequest } from '../../http/errors.ts'
import { decodeCursor } from '../../http/pagination.ts'
import { parseEnum, parseLimit } from '../../http/params.ts'
import { VIDEO_SORTS, VIDEO_STATES, type ListVideosInput, type VideoFilters, type VideoSort } from './service.ts'

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const UTC_KEY = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/

/**
 * Whether `key` is a sort key as the list query writes it: a real UTC instant with microseconds,
 * or ±infinity. The cursor MAC is not a secret, so a forged cursor must still never reach
 * Postgres as a value it cannot cast.
 */
export function isSortKey(key: string): boolean {
  if (key === 'infinity' || key === '-infinity') return true
  const m = UTC_KEY.exec(key)
  if (!m) return false
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  return (
    y >= 1 &&
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s
  )
}

export function parseVideoListQuery(q: VideoListQuery): { input: ListVideosInput; scope: string } {
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
    const [key, id] = decodeCursor(scope, q.cursor, 2)
    if (typeof key !== 'string' || typeof id !== 'string' || !isSortKey(key) || !UUID.test(id)) {
      throw badRequest('invalid_cursor', 'the cursor is malformed, tampered with, or belongs to another list or filter set')
    }
    after = { key, id }
  }
  return { input: { sort, filters, limit, after }, scope }
}
