import { CacheType } from '../../cache/scopes.ts'
import type { TieredCache } from '../../cache/tiered-cache.ts'
import type { Config } from '../../config.ts'
import { cachedResponse } from '../../http/cached-response.ts'
import type { CacheResult } from '../../http/ready-response.ts'
import type { Sql } from '../../platform/db.ts'
import { timed } from '../../platform/db-metrics.ts'
import type { SearchParams } from './params.ts'
import { searchSegments } from './service.ts'

// Search pages through the two-tier cache. A page's key is its scope (q and every filter) plus its
// position and size; any transcript write or video edit bumps the whole search namespace.

export function cachedSearch(deps: { sql: Sql; cache: TieredCache; config: Config }, p: SearchParams): Promise<CacheResult> {
  const key = `${p.scope}|${p.limit}|${p.after ? `${p.after.rank}|${p.after.id}` : ''}`
  return cachedResponse(deps.cache, { type: CacheType.search, key, scopes: [], ttlSeconds: deps.config.CACHE_SEARCH_TTL }, () =>
    timed('search', () => searchSegments(deps.sql, p), [p.scope, p.after]),
  )
}
