import type { CursorCodec } from '../../http/cursor-codec.ts'
import { bigintField, realField } from '../../http/cursor-fields.ts'
import { badRequest } from '../../http/errors.ts'
import { parseDate } from '../../http/params.ts'
import type { TranscriptSource } from '../../http/transcript-sources.ts'
import { queryParser } from '../../http/validate.ts'
import { MAX_QUERY_CHARS, SEARCH_LIMIT_DEFAULT, SearchQuery } from './model.ts'

// Turns GET /search's query string into checked values, so bad input is a clean 400 before any SQL
// runs. The route and scripts/bench-search.ts both go through here.

/** The query string as given: every parameter is checked by SearchQuery. */
export type RawSearchQuery = Record<string, string | undefined>

export interface SearchParams {
  q: string
  videoId?: string | undefined
  channel?: string | undefined
  language?: string | undefined
  source?: TranscriptSource | undefined
  /** uploaded_at >= this */
  uploadedFrom?: Date | undefined
  /** uploaded_at <= at (a date-time), or < at (the midnight after a bare date) */
  uploadedTo?: { at: Date; inclusive: boolean } | undefined
  limit: number
  /** Position after which the page starts: the exact rank text and segment id of the last hit shown. */
  after?: { rank: string; id: string } | undefined
  /** Names the endpoint and every filter value; binds cursors to this exact list. */
  scope: string
  /** Signs the next page's cursor. */
  cursors: CursorCodec
}

const DAY_MS = 86_400_000
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/

const parseSchemaQuery = queryParser(SearchQuery)

function parseQ(raw: string | undefined): string {
  // NUL cannot travel to Postgres in text; it separates words like any other punctuation here.
  const q = (raw ?? '').replaceAll('\u0000', ' ').trim()
  if (q === '') throw badRequest('invalid_q', `q is required: 1 to ${MAX_QUERY_CHARS} characters of search terms`)
  if ([...q].length > MAX_QUERY_CHARS) throw badRequest('invalid_q', `q must be at most ${MAX_QUERY_CHARS} characters`)
  return q
}

/**
 * The upper bound of date_to: a date-time is inclusive; a bare date takes in its whole day, up to
 * the next midnight. 9999-12-31's next midnight is a year postgres.js cannot send, so that day
 * ends at its last millisecond instead (a Date's precision anyway).
 */
function uploadedBefore(raw: string | undefined): SearchParams['uploadedTo'] {
  const at = parseDate('date_to', raw)
  if (at === undefined || raw === undefined) return undefined
  if (!BARE_DATE.test(raw)) return { at, inclusive: true }
  const next = new Date(at.getTime() + DAY_MS)
  return next.getUTCFullYear() > 9999 ? { at: new Date(next.getTime() - 1), inclusive: true } : { at: next, inclusive: false }
}

export function parseSearchQuery(raw: RawSearchQuery, cursors: CursorCodec): SearchParams {
  const checked = parseSchemaQuery(raw)
  const q = parseQ(checked.q)
  const { video_id: videoId, channel, language, source } = checked
  const uploadedFrom = parseDate('date_from', checked.date_from)
  const uploadedTo = uploadedBefore(checked.date_to)
  const limit = checked.limit ?? SEARCH_LIMIT_DEFAULT

  const scope = `search?${new URLSearchParams({
    q,
    video_id: videoId ?? '',
    channel: channel ?? '',
    language: language ?? '',
    source: source ?? '',
    date_from: uploadedFrom?.toISOString() ?? '',
    date_to: uploadedTo ? `${uploadedTo.inclusive ? '<=' : '<'}${uploadedTo.at.toISOString()}` : '',
  }).toString()}`

  let after: SearchParams['after']
  if (checked.cursor !== undefined) {
    const [rank, id] = cursors.decode(scope, checked.cursor, [realField, bigintField])
    after = { rank, id }
  }
  return { q, videoId, channel, language, source, uploadedFrom, uploadedTo, limit, after, scope, cursors }
}
