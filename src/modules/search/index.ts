import { Elysia } from 'elysia'
import type { Config } from '../../config.ts'
import { publicFor } from '../../http/cache-policy.ts'
import { CachedGet } from '../../http/cached-get.ts'
import type { CursorCodec } from '../../http/cursor-codec.ts'
import { operation } from '../../http/openapi-operation.ts'
import { routeOptions } from '../../http/route-options.ts'
import { MAX_QUERY_CHARS, SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SearchQuery, SearchResponseSchema } from './model.ts'
import { parseSearchQuery } from './params.ts'
import type { SearchService } from './service.ts'

export interface SearchRouteDeps {
  config: Config
  search: SearchService
  cursors: CursorCodec
  /** search_queries_total: every answered search counts, whichever path answered it. */
  countSearch: () => void
  /** Usage of signed-in callers, recorded in the background; the answer stays public (src/modules/events/search-usage.ts). */
  onSearch?: (request: Request, q: string) => void
}

export function searchRoutes(deps: SearchRouteDeps) {
  const route = CachedGet.declare({
    template: '/search',
    policy: publicFor(deps.config.CACHE_SEARCH_TTL, 60),
    parse: ({ query }) => parseSearchQuery(query, deps.cursors),
    cacheRequest: deps.search.searchRequest,
    read: async (params, request) => {
      const result = await deps.search.search(params)
      deps.onSearch?.(request, params.q)
      return result
    },
    count: deps.countSearch,
  })
  return new Elysia({ name: 'search' }).use(routeOptions()).get(route.template, route.handle, {
    cached: route,
    detail: operation({
      tags: ['search'],
      summary: 'Full-text search over transcript segments',
      description:
        "PostgreSQL full text (English stemming, `websearch_to_tsquery` syntax) over every transcript segment, most relevant first " +
        '(ties by segment id; how `rank` is computed is in its description). Each hit carries its video title, channel and a snippet with the matched words in `<mark>`. ' +
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
