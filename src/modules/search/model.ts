import { type Static, Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { OneOf } from '../../http/one-of.ts'
import { Text } from '../../http/text.ts'
import { TRANSCRIPT_SOURCES } from '../../http/transcript-sources.ts'

// GET /search's schemas: the single source of its query rules, its types and its OpenAPI components.
// q and the dates are parsed further by hand (src/modules/search/params.ts).

/** Longest accepted `q`, in characters. */
export const MAX_QUERY_CHARS = 500
/** Longest accepted `channel` / `language` filter value: longer cannot match a stored one usefully. */
export const MAX_FILTER_CHARS = 200

export const SEARCH_LIMIT_DEFAULT = 50
export const SEARCH_LIMIT_MAX = 200

export const SearchQuery = t.Object({
  q: t.Optional(
    t.String({
      mustBe: `1 to ${MAX_QUERY_CHARS} characters of search terms`,
      description:
        'Web-search syntax (websearch_to_tsquery, English stemming): words are ANDed, "quoted phrases" match in order, ' +
        '`or` between terms, `-word` excludes. 1..500 characters. A query of stop words only, or of exclusions only, has no hits.',
      examples: ['coffee', '"pretty good" coffee', 'coffee or tea -milk'],
    }),
  ),
  video_id: t.Optional(t.String({ format: 'uuid', description: 'only this video', examples: ['7d3c9a52-1b54-4a63-9c3e-2f1d8f0e6a11'] })),
  channel: t.Optional(Text({ maxLength: MAX_FILTER_CHARS }, { description: 'exact channel name', examples: ['Veritasium'] })),
  language: t.Optional(Text({ maxLength: MAX_FILTER_CHARS }, { description: 'video language, as stored (e.g. en)', examples: ['en'] })),
  source: t.Optional(OneOf(TRANSCRIPT_SOURCES, { description: 'transcript source', examples: ['whisper'] })),
  date_from: t.Optional(
    t.String({ description: 'videos uploaded at or after this ISO-8601 date or date-time (a bare date means 00:00 UTC)', examples: ['2024-01-01'] }),
  ),
  date_to: t.Optional(
    t.String({
      description: 'videos uploaded at or before this ISO-8601 date-time; a bare date includes that whole day (UTC)',
      examples: ['2024-12-31'],
    }),
  ),
  limit: t.Optional(
    Type.Integer({ minimum: 1, maximum: SEARCH_LIMIT_MAX, default: SEARCH_LIMIT_DEFAULT, description: `1..${SEARCH_LIMIT_MAX}, default ${SEARCH_LIMIT_DEFAULT}` }),
  ),
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page (same q and filters)' })),
})

export const SearchHitSchema = t.Object(
  {
    segment_id: Type.Integer({ description: 'id of the matching transcript segment', examples: [123456] }),
    video_id: t.String({ format: 'uuid' }),
    youtube_id: t.String({ examples: ['dQw4w9WgXcQ'] }),
    title: t.Union([t.String(), t.Null()], { examples: ['How coffee is made'] }),
    channel_name: t.Union([t.String(), t.Null()], { examples: ['Veritasium'] }),
    source: OneOf(TRANSCRIPT_SOURCES, { description: 'the transcript the segment belongs to' }),
    start_ms: Type.Integer({ examples: [61500] }),
    end_ms: Type.Integer({ examples: [64200] }),
    snippet: t.String({
      description: 'the segment text around the match, matched words wrapped in <mark>…</mark> (the text is not HTML-escaped)',
      examples: ['you know the <mark>coffee</mark> was pretty good'],
    }),
    rank: t.Number({
      description:
        'relevance, comparable within one query only; hits come by rank descending, then segment_id ascending. A word, a phrase or an OR of up to 3 ' +
        'of them: 10 per query term the segment holds (a word, or a two-word phrase), +1 when it holds it twice, +2 three times or more. ' +
        'Any other query (words ANDed, longer ORs, a video_id filter): ts_rank, which ranks repeated and adjacent words higher.',
      examples: [21],
    }),
  },
  { title: 'SearchHit' },
)

export const SearchResponseSchema = t.Object(
  {
    items: t.Array(SearchHitSchema),
    page_info: t.Object({ next_cursor: t.Union([t.String(), t.Null()]), has_next_page: t.Boolean() }),
    query_time_ms: t.Number({ description: 'time spent in the database for this page', examples: [12.34] }),
  },
  { title: 'SearchResults' },
)

export type SearchHit = Static<typeof SearchHitSchema>
export type SearchResponse = Static<typeof SearchResponseSchema>
