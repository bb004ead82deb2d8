import type { Config } from '../config.ts'

// Cache-Control by route template, fail-closed: a route not in this table gets `no-store`.
// `public` only where the body is the same for everyone; anything that reads the caller's
// identity is private and varies on the credentials.

export interface CachePolicy {
  cacheControl: string
  /** Request headers the body depends on, besides Accept-Encoding (added for compressible bodies). */
  vary: readonly string[]
}

export const NO_STORE: CachePolicy = { cacheControl: 'no-store', vary: [] }
const PER_CALLER = ['Cookie', 'Authorization'] as const
/** The caller's own data (account, keys, favorites) and admin views: never stored by any cache. */
const PRIVATE_NO_STORE: CachePolicy = { cacheControl: 'private, no-store', vary: PER_CALLER }
export const IMMUTABLE_ASSET: CachePolicy = { cacheControl: 'public, max-age=31536000, immutable', vary: [] }

/** GET route template → policy. Other methods, unknown routes and every 4xx/5xx are no-store. */
export function cachePolicyTable(config: Config): ReadonlyMap<string, CachePolicy> {
  const pub = (maxAge: number, swr?: number): CachePolicy => ({
    cacheControl: `public, max-age=${maxAge}${swr ? `, stale-while-revalidate=${swr}` : ''}`,
    vary: [],
  })
  return new Map<string, CachePolicy>([
    ['/videos', pub(60)],
    ['/videos/:id', pub(config.CACHE_VIDEO_TTL, 60)],
    ['/videos/:id/transcript', pub(config.CACHE_TRANSCRIPT_TTL, 300)],
    ['/search', pub(config.CACHE_SEARCH_TTL, 60)],
    // Exports become per-caller (quota-counted) with accounts: private from the start.
    ['/videos/:id/transcript.srt', { cacheControl: 'private, max-age=60', vary: PER_CALLER }],
    ['/videos/:id/transcript.vtt', { cacheControl: 'private, max-age=60', vary: PER_CALLER }],
    ['/swagger/assets/*', IMMUTABLE_ASSET],
    ['/health', NO_STORE],
    ['/ready', NO_STORE],
    ['/metrics', NO_STORE],
    ['/jobs', NO_STORE],
    ['/jobs/:id', NO_STORE],
    ['/auth/login/:provider', NO_STORE],
    ['/auth/callback/:provider', NO_STORE],
    ['/auth/me', PRIVATE_NO_STORE],
    ['/auth/api-keys', PRIVATE_NO_STORE],
    ['/favorites', PRIVATE_NO_STORE],
    ['/admin/users', PRIVATE_NO_STORE],
    ['/admin/events', PRIVATE_NO_STORE],
    ['/admin/cache/stats', PRIVATE_NO_STORE],
  ])
}

export function resolveCachePolicy(table: ReadonlyMap<string, CachePolicy>, method: string, route: string | undefined, status: number): CachePolicy {
  if ((method !== 'GET' && method !== 'HEAD') || status >= 400 || !route) return NO_STORE
  return table.get(route) ?? NO_STORE
}
