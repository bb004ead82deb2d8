import { Elysia } from 'elysia'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { searchQueriesTotal } from '../../platform/metrics.ts'
import { operation } from '../../http/openapi-operation.ts'
import type { Sql } from '../../platform/db.ts'
import { MAX_QUERY_CHARS, SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SearchQuery, SearchResponseSchema } from './model.ts'
import { parseSearchQuery } from './params.ts'
import { cachedSearch } from './cached-reads.ts'

/** Every answered search counts, whether the router or the fast lane (src/app.ts) answered it. */
export const countSearchQuery = () => searchQueriesTotal.inc()

export function searchRoutes(deps: { sql: Sql; cache: TieredCache; config: Config; cursors: CursorCodec; onSearch?: (request: Request, q: string) => void }) {
  return new Elysia({ name: 'search' }).get('/search', async ({ query, request }) => {
    const params = parseSearchQuery(query, deps.cursors)
    countSearchQuery()
    const result = await cachedSearch(deps, params)
    // Usage of signed-in callers, recorded in the background; the answer stays public (src/modules/events/search-usage.ts).
    deps.onSearch?.(request, params.q)
    return result
  }, {
    detail: operation({
      tags: ['search'],
      summary: 'Full-text search over transcript segments',
      description:
        "PostgreSQL full text (English stemming, `websearch_to_tsquery` syntax) over every transcript segment, most relevant first " +
        '(`ts_rank`, ties by segment id). Each hit carries its video title, channel and a snippet with the matched words in `<mark>`. ' +
        'Filters narrow by video, channel, language, transcript source and upload date. ' +
        `Cursor-paginated: pass \`page_info.next_cursor\` as \`cursor\` with the same q and filters (400 \`invalid_cursor\` otherwise); ` +
        `\`limit\` ${1}..${SEARCH_LIMIT_MAX}, default ${SEARCH_LIMIT_DEFAULT}. ` +
        `Errors: \`invalid_q\` (q missing, blank or over ${MAX_QUERY_CHARS} characters), \`invalid_video_id\`, \`invalid_source\`, ` +
        '`invalid_date_from` / `invalid_date_to`, `invalid_channel` / `invalid_language` (over 200 characters or control characters), `invalid_limit`, `invalid_cursor`. ' +
        'A q of stop words or exclusions only is not an error: it has no hits. ' +
        '`query_time_ms` is the database time of the answer as it was computed; a cached answer keeps it.',
      query: SearchQuery,
      ok: { 200: SearchResponseSchema },
      errors: { 400: ['invalid_q', 'invalid_video_id', 'invalid_channel', 'invalid_language', 'invalid_source', 'invalid_date_from', 'invalid_date_to', 'invalid_limit', 'invalid_cursor'] },
    }),
  })
}
