// Redis key layout. Nothing ever needs SCAN or KEYS: invalidation bumps generation counters instead.
// Cached values (and their locks) live under a format version, so a format change can never read
// old values; the generations and the bus do not, so instances of two versions side by side in a
// rolling deploy still see each other's invalidations.

const VALUE_FORMAT = 'v2'
const SHARED_FORMAT = 'v1'

export interface KeySpace {
  entry(key: string): string
  lock(key: string): string
  /** Hash of scope → generation, shared by all instances. */
  generations: string
  /** Pub/sub channel of the invalidation bus. */
  channel: string
}

export function keySpace(prefix: string): KeySpace {
  const values = `${prefix}:${VALUE_FORMAT}`
  const shared = `${prefix}:${SHARED_FORMAT}`
  return {
    entry: (key) => `${values}:c:${key}`,
    lock: (key) => `${values}:lock:${key}`,
    generations: `${shared}:gens`,
    channel: `${shared}:bus`,
  }
}
