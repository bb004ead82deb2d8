// Cache-Control by route template, fail-closed: every GET route declares its policy where it is
// defined (a `cachePolicy` or `cached` route option, src/http/route-options.ts), and the table is
// read off the built router; a route that declares none, other methods and every 4xx/5xx get
// `no-store`. `public` only where the body is the same for everyone; anything that reads the
// caller's identity is private and varies on the credentials.

export interface CachePolicy {
  cacheControl: string
  /** Request headers the body depends on, besides Accept-Encoding (added for compressible bodies). */
  vary: readonly string[]
}

export const NO_STORE: CachePolicy = { cacheControl: 'no-store', vary: [] }
const PER_CALLER = ['Cookie', 'Authorization'] as const
/** The caller's own data (account, keys, favorites) and admin views: never stored by any cache. */
export const PRIVATE_NO_STORE: CachePolicy = { cacheControl: 'private, no-store', vary: PER_CALLER }
/** Per-caller answers a browser may keep briefly (quota-counted exports). */
export const privateFor = (maxAge: number): CachePolicy => ({ cacheControl: `private, max-age=${maxAge}`, vary: PER_CALLER })
export const IMMUTABLE_ASSET: CachePolicy = { cacheControl: 'public, max-age=31536000, immutable', vary: [] }

/** The same body for everyone, cacheable by any cache for `maxAge` seconds (then served stale while revalidated). */
export function publicFor(maxAge: number, staleWhileRevalidate?: number): CachePolicy {
  return { cacheControl: `public, max-age=${maxAge}${staleWhileRevalidate ? `, stale-while-revalidate=${staleWhileRevalidate}` : ''}`, vary: [] }
}

/** GET route template → policy, as the routes declared them. */
export type CachePolicyTable = ReadonlyMap<string, CachePolicy>

export function resolveCachePolicy(table: CachePolicyTable, method: string, route: string | undefined, status: number): CachePolicy {
  if ((method !== 'GET' && method !== 'HEAD') || status >= 400 || !route) return NO_STORE
  return table.get(route) ?? NO_STORE
}
