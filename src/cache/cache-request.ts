import type { Codec } from './codec.ts'

// What a cached read asks the two-tier cache for. Its own file because callers keep it too: the
// fast path (src/http/fast-path.ts) remembers the request of each URL and asks L1 with it.

export interface CacheRequest<V> {
  /** Resource name for stats and the namespace scope: 'video', 'transcript', 'search', … */
  type: string
  /** Identifies the value within its type (id, normalised query, …). */
  key: string
  /** Version scopes the value depends on besides its namespace, e.g. `video:<id>`. */
  scopes: readonly string[]
  ttlSeconds: number
  /** How the value is sized, kept and stored in L2. */
  codec: Codec<V>
}

/** What the cache tells a loader about the value it loads: every version scope its key embeds (its namespace's too). */
export interface Fill {
  scopes: readonly string[]
}
