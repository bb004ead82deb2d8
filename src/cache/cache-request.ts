// What a cached read asks the two-tier cache for. Its own file because the HTTP layer keeps it too:
// a served CacheResult carries it, so the fast lane (src/http/fast-lane.ts) can ask L1 again for
// the same URL without running the route's parsing.

export interface CacheRequest {
  /** Resource name for stats and the namespace scope: 'video', 'transcript', 'search', … */
  type: string
  /** Identifies the value within its type (id, normalised query, …). */
  key: string
  /** Generation scopes the value depends on besides its namespace, e.g. `video:<id>`. */
  scopes: readonly string[]
  ttlSeconds: number
}
