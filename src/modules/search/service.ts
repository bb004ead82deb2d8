import { CacheType } from '../../cache/scopes.ts'
import type { FillReads } from '../../cache/replica-reads.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { cachedResponse, type ResponseRequest } from '../../http/cached-response.ts'
import type { CacheResult } from '../../http/ready-response.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import type { SearchParams } from './params.ts'
import { searchSegments } from './queries.ts'

// Search pages through the two-tier cache. A page's key is its scope (q and every filter) plus its
// position and size; any transcript write or video edit bumps the whole search namespace.

/** `reads`: where a page is filled from (a read replica when causally safe). */
export function createSearchService(deps: { cache: TieredCache; reads: FillReads; config: Config; timed: Timed }) {
  const searchRequest = (p: SearchParams): ResponseRequest => ({
    type: CacheType.search,
    key: `${p.scope}|${p.limit}|${p.after ? `${p.after.rank}|${p.after.id}` : ''}`,
    scopes: [],
    ttlSeconds: deps.config.CACHE_SEARCH_TTL,
  })
  return {
    searchRequest,
    search(p: SearchParams): Promise<CacheResult> {
      return cachedResponse(deps.cache, searchRequest(p), (fill) =>
        deps.timed('search', () => deps.reads.run(fill, (db) => searchSegments(db, p)), [p.scope, p.after]),
      )
    },
  }
}

export type SearchService = ReturnType<typeof createSearchService>
