import type { RedisClientOptions } from 'redis'
import type { Logger } from './log.ts'

// What the application needs from Redis, whatever runs it: one server (REDIS_URL), a primary that
// Sentinel fails over (REDIS_SENTINELS), or a Cluster (REDIS_CLUSTER_NODES). It is built once from
// the configuration (src/platform/redis.ts); everything else sees only this interface, so the L2, the
// locks, the versions script, the bus and the rate limiters follow a failover or a redirect without
// knowing the topology. The one fact that leaks is `cluster`: keys that must meet in one script or
// on one pub/sub connection need a hash tag there (src/cache/keys.ts).

export interface RedisNode {
  host: string
  port: number
}

export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: readonly RedisNode[]; name: string }
  | { kind: 'cluster'; nodes: readonly RedisNode[] }

export interface RedisClient {
  readonly kind: RedisTopology['kind']
  /** True in a cluster: co-located keys need a hash tag, pub/sub is sharded (SPUBLISH/SSUBSCRIBE). */
  readonly cluster: boolean
  /** Whether commands can be sent now (false while (re)connecting or failing over). */
  readonly isReady: boolean
  /** The command a Lua script announces with: `SPUBLISH` in a cluster (the channel in the script's slot), else `PUBLISH`. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH'
  /** A binary value (bodies and gzip bytes are not text). */
  getBuffer(key: string): Promise<Buffer | null>
  /** SET … PX `ttlMs` (NX when `onlyIfAbsent`); true when it was written. */
  set(key: string, value: string | Buffer, ttlMs: number, onlyIfAbsent?: boolean): Promise<boolean>
  /** EVAL; in a cluster it runs on the node of `keys[0]` (all keys, and any channel it publishes on, in one slot). */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>
  /** PUBLISH (SPUBLISH in a cluster); the number of subscribers that received it. */
  publish(channel: string, message: string): Promise<number>
  /**
   * Subscribes every channel of `listeners` on ONE connection (in a cluster they must share a slot),
   * so their messages arrive in the order the server executed their publishes. `onGap` runs whenever
   * messages may have been missed (a reconnect, a failover, a moved slot): the owner must not trust
   * what it heard before until it has read the state again.
   */
  subscribe(listeners: Record<string, (message: string) => void>, onGap: () => void): () => Promise<void>
  ping(): Promise<boolean>
  /** INFO and DBSIZE of each primary (one outside a cluster). */
  primaries(): Promise<{ info: string; keys: number }[]>
  /** The node-redis client itself, for rate-limiter-flexible (which speaks to all three kinds). */
  readonly native: object
  close(): Promise<void>
}

const MAX_RECONNECT_DELAY_MS = 2000

/** Socket and queue options of every connection to a Redis node. */
export const NODE_OPTIONS = {
  socket: {
    connectTimeout: 2000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
  },
  // Commands fail at once while disconnected instead of queueing until Redis returns.
  disableOfflineQueue: true,
} satisfies RedisClientOptions

/** Retries `connect` in the background: a Redis that is down at startup must not stop the server. */
export function connectInBackground(connect: () => Promise<unknown>, isClosed: () => boolean): void {
  let retries = 0
  const attempt = () => {
    connect().catch(() => {
      if (!isClosed()) setTimeout(attempt, NODE_OPTIONS.socket.reconnectStrategy(retries++)).unref()
    })
  }
  attempt()
}

/** Logs the first error of a run of them, and the recovery. */
export function errorReporter(log: Logger) {
  let reported = false
  return {
    error(err: unknown) {
      if (!reported) log.warn('redis error', { error: err instanceof Error ? err.message : String(err) })
      reported = true
    },
    ready() {
      if (reported) log.info('redis connected')
      reported = false
    },
  }
}

/** Closes gracefully, or at once when that fails (a connection that never came up). */
export async function closeQuietly(client: { close(): Promise<unknown>; destroy(): unknown }): Promise<void> {
  try {
    await client.close()
  } catch {
    await client.destroy()
  }
}

