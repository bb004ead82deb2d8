import { badRequest } from '../../http/errors.ts'
import { decodeCursor } from '../../http/pagination.ts'
import { parseDate, parseEnum, parseLimit, parseOptionalId } from '../../http/params.ts'
import {
  MAX_FILTER_CHARS,
  MAX_QUERY_CHARS,
  SEARCH_LIMIT_DEFAULT,
  SEARCH_LIMIT_MAX,
  SEARCH_SOURCES,
  type SearchSource,
} from './model.ts'

// Turns GET /search's query string into checked values, so bad input is a clean 400 before any SQL
// runs. The route and scripts/bench-search.ts both go through here.

export interface RawSearchQuery {
  q?: string | undefined
  video_id?: string | undefined
  channel?: string | undefined
  language?: string | undefined
  source?: string | undefined
  date_from?: string | undefined
  date_to?: string | undefined
  limit?: string | undefined
  cursor?: string | undefined
}

export interface SearchParams {
  q: string
  videoId?: string | undefined
  channel?: string | undefined
  language?: string | undefined
  source?: SearchSource | undefined
  /** uploaded_at >= this */
  uploadedFrom?: Date | undefined
  /** uploaded_at <= at (a date-time), or < at (the midnight after a bare date) */
  uploadedTo?: { at: Date; inclusive: boolean } | undefined
  limit: number
  /** Position after which the page starts: the exact rank text and segment id of the last hit shown. */
  after?: { rank: string; id: string } | undefined
  /** Names the endpoint and every filter value; binds cursors to this exact list. */
  scope: string
}

const DAY_MS = 86_400_000
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/
// What Postgres prints for a real (shortest exact form) and for a bigint id.
const RANK_TEXT = /^\d+(\.\d+)?(e[-+]?\d+)?$/
const ID_TEXT = /^\d{1,18}$/

function parseQ(raw: string | undefined): string {
  // NUL cannot travel to Postgres in text; it separates words like any other punctuation here.
  const q = (raw ?? '').replaceAll('\u0000', ' ').trim()
  if (q === '') throw badRequest('invalid_query', 'q is required: 1 to 500 characters of search terms')
  if ([...q].length > MAX_QUERY_CHARS) throw badRequest('invalid_query', `q must be at most ${MAX_QUERY_CHARS} characters`)
  return q
}

/** An exact-match text filter; absent when empty. */
function parseText(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined
  if (raw.length > MAX_FILTER_CHARS || raw.includes('\u0000')) {
    throw badRequest(`invalid_${name}`, `${name} must be at most ${MAX_FILTER_CHARS} characters, without NUL`)
  }
  return raw
}

/** parseDate, plus what Postgres would reject or JS would silently roll over (2024-02-30, year 0). */
function parseUploadDate(name: string, raw: string | undefined): { at: Date; bare: boolean } | undefined {
  const at = parseDate(name, raw)
  if (at === undefined || raw === undefined) return undefined
  const bare = BARE_DATE.test(raw)
  const year = at.getUTCFullYear()
  if (year < 1 || year > 9999 || (bare && at.toISOString().slice(0, 10) !== raw)) {
    throw badRequest(`invalid_${name}`, `${name} must be an ISO-8601 date between 0001-01-01 and 9999-12-31`)
  }
  return { at, bare }
}

export function parseSearchQuery(raw: RawSearchQuery): SearchParams {
  const q = parseQ(raw.q)
  const videoId = parseOptionalId(raw.video_id, 'video_id')
  const channel = parseText('channel', raw.channel)
  const language = parseText('language', raw.language)
  const source = parseEnum('source', raw.source, SEARCH_SOURCES)
  const from = parseUploadDate('date_from', raw.date_from)
  const to = parseUploadDate('date_to', raw.date_to)
  const limit = parseLimit(raw.limit, SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX)
  const uploadedTo = to && (to.bare ? { at: new Date(to.at.getTime() + DAY_MS), inclusive: false } : { at: to.at, inclusive: true })

  const scope = `search?${new URLSearchParams({
    q,
    video_id: videoId ?? '',
    channel: channel ?? '',
    language: language ?? '',
    source: source ?? '',
    date_from: from?.at.toISOString() ?? '',
    date_to: uploadedTo ? `${uploadedTo.inclusive ? '<=' : '<'}${uploadedTo.at.toISOString()}` : '',
  }).toString()}`

  let after: SearchParams['after']
  if (raw.cursor !== undefined && raw.cursor !== '') {
    const [rank, id] = decodeCursor(scope, raw.cursor, 2)
    // The MAC already vouches for the values; this only keeps a malformed one from becoming a SQL error.
    if (typeof rank !== 'string' || typeof id !== 'string' || !RANK_TEXT.test(rank) || !ID_TEXT.test(id)) {
      throw badRequest('invalid_cursor', 'the cursor is malformed')
    }
    after = { rank, id }
  }
  return { q, videoId, channel, language, source, uploadedFrom: from?.at, uploadedTo, limit, after, scope }
}
