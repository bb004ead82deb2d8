// Redis key layout, all under one deployment's prefix (CACHE_PREFIX, see prefix.ts): values, locks,
// the version bookkeeping and the bus channels, so two deployments on one Redis server never meet.
// Nothing ever needs SCAN or KEYS: invalidation moves versions instead (versions.ts). Cached values
// (and their locks) live under a format version, so a format change can never read old values.

const VALUE_FORMAT = 'v3'

export interface KeySpace {
  entry(key: string): string
  lock(key: string): string
  /** Hash of the deployment's versions: `_epoch`, `_seq`, and scope → seq of its last write. */
  versions: string
  /** Pub/sub channel of the invalidation bus. */
  channel: string
  /** One instance's heartbeat channel: its own pings come back on it through the same subscription. */
  pings(origin: string): string
}

export function keySpace(prefix: string): KeySpace {
  const values = `${prefix}:${VALUE_FORMAT}`
  return {
    entry: (key) => `${values}:c:${key}`,
    lock: (key) => `${values}:lock:${key}`,
    versions: `${prefix}:versions`,
    channel: `${prefix}:bus`,
    pings: (origin) => `${prefix}:bus:ping:${origin}`,
  }
}

/** The scope every value of one type depends on: bumping it drops the whole type. */
export const namespaceScope = (type: string) => `ns:${type}`
