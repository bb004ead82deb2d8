// Redis key layout. Everything lives under one versioned prefix, so a format change can never read
// old values, and nothing ever needs SCAN or KEYS: invalidation bumps generation counters instead.

export interface KeySpace {
  entry(key: string): string
  lock(key: string): string
  /** Hash of scope → generation, shared by all instances. */
  generations: string
  /** Pub/sub channel of the invalidation bus. */
  channel: string
}

export function keySpace(prefix: string): KeySpace {
  const p = `${prefix}:v2`
  return {
    entry: (key) => `${p}:c:${key}`,
    lock: (key) => `${p}:lock:${key}`,
    generations: `${p}:gens`,
    channel: `${p}:bus`,
  }
}
