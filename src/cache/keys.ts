// Redis key layout, all under one deployment's prefix (CACHE_PREFIX, see prefix.ts): values, locks,
// the version bookkeeping and the bus channels, so two deployments on one Redis server never meet.
// Nothing ever needs SCAN or KEYS: invalidation moves versions instead (versions.ts). Cached values
// (and their locks) live under a format version, so a format change can never read old values.
//
// In a Redis Cluster, the versions hash, the bus channel and every heartbeat channel carry one hash
// tag (the prefix in braces), so they live in one slot: the versions script may only SPUBLISH on a
// channel of its key's slot, and a heartbeat proves delivery only if it travels the same connection
// (the one primary of that slot) as the announcements it follows. Values and locks carry no tag, so
// they spread over every slot; no command touches two keys except the versions script (one key).
// Outside a cluster the names stay exactly as releases before Cluster support wrote them: a rolling
// upgrade runs old and new instances side by side on one Redis, and they must keep hearing each
// other's invalidations on the same channel and reading the same versions hash.

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

export function keySpace(prefix: string, options: { cluster: boolean }): KeySpace {
  const values = `${prefix}:${VALUE_FORMAT}`
  // A prefix with braces would end the tag early or leave it empty; config.ts refuses one in a cluster.
  const together = options.cluster ? `{${prefix}}` : prefix
  return {
    entry: (key) => `${values}:c:${key}`,
    lock: (key) => `${values}:lock:${key}`,
    versions: `${together}:versions`,
    channel: `${together}:bus`,
    pings: (origin) => `${together}:bus:ping:${origin}`,
  }
}

/** The scope every value of one type depends on: bumping it drops the whole type. */
export const namespaceScope = (type: string) => `ns:${type}`
