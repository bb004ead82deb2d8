import { createClient, RESP_TYPES } from 'redis'
import type { Logger } from './log.ts'
import { closeQuietly, errorReporter, NODE_OPTIONS, type RedisClient, type RedisNode, type RedisTopology } from './redis-client.ts'
import { createClusterRedis } from './redis-cluster.ts'
import { createSentinelRedis } from './redis-sentinel.ts'

export type { RedisClient, RedisNode, RedisTopology } from './redis-client.ts'

// Builds the application's Redis (redis-client.ts) from the configuration: one server (REDIS_URL),
// Sentinel (redis-sentinel.ts) or Cluster (redis-cluster.ts).

function createStandaloneRedis(url: string, log: Logger): RedisClient {
  const client = createClient({ url, ...NODE_OPTIONS })
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
  const report = errorReporter(log)
  client.on('error', report.error).on('ready', report.ready)
  client.connect().catch(() => {
    // the 'error' listener has logged it; reconnectStrategy keeps trying
  })
  return {
    kind: 'standalone',
    cluster: false,
    publishCommand: 'PUBLISH',
    get isReady() {
      return client.isReady
    },
    getBuffer: (key) => binary.get(key),
    set: async (key, value, ttlMs, onlyIfAbsent) =>
      (await client.set(key, value, { expiration: { type: 'PX', value: ttlMs }, ...(onlyIfAbsent ? { condition: 'NX' } : {}) })) === 'OK',
    eval: (script, keys, args) => client.eval(script, { keys, arguments: args }),
    publish: async (channel, message) => Number(await client.publish(channel, message)),
    subscribe(listeners, onGap) {
      const subscriber = client.duplicate()
      subscriber.on('error', () => {
        // the main client logs Redis trouble; the subscriber just keeps reconnecting
      })
      // node-redis resubscribes by itself after a reconnect, before it emits 'ready'.
      subscriber.on('ready', onGap)
      // Not awaited: with Redis down at startup, connect() retries until it is back.
      void subscriber
        .connect()
        .then(() => Promise.all(Object.entries(listeners).map(([channel, listener]) => subscriber.subscribe(channel, listener))))
        .then(onGap)
        .catch(() => log.warn('cache bus could not subscribe; cached values are trusted only while recent (CACHE_BUS_DOWN_MAX_AGE)'))
      return () => closeQuietly(subscriber)
    },
    ping: async () => (await client.ping()) === 'PONG',
    primaries: async () => [{ info: await client.info(), keys: Number(await client.dbSize()) }],
    native: client,
    close: () => closeQuietly(client),
  }
}

/** Connects in the background; a Redis that is down at startup must not stop the server. A string is a standalone URL. */
export function createRedis(topology: RedisTopology | string, log: Logger): RedisClient {
  const t: RedisTopology = typeof topology === 'string' ? { kind: 'standalone', url: topology } : topology
  if (t.kind === 'sentinel') return createSentinelRedis(t, log)
  if (t.kind === 'cluster') return createClusterRedis(t.nodes, log)
  return createStandaloneRedis(t.url, log)
}

/** The Redis the configuration names (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES; at most one is set), or none. */
export function redisTopology(config: {
  REDIS_URL: string | undefined
  REDIS_SENTINELS: readonly RedisNode[] | undefined
  REDIS_SENTINEL_NAME: string
  REDIS_CLUSTER_NODES: readonly RedisNode[] | undefined
}): RedisTopology | undefined {
  if (config.REDIS_URL) return { kind: 'standalone', url: config.REDIS_URL }
  if (config.REDIS_SENTINELS) return { kind: 'sentinel', sentinels: config.REDIS_SENTINELS, name: config.REDIS_SENTINEL_NAME }
  if (config.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: config.REDIS_CLUSTER_NODES }
  return undefined
}

export async function pingRedis(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (!client.isReady) return false
  let timer: Timer | undefined
  const timeout = new Promise<false>((res) => {
    timer = setTimeout(() => res(false), timeoutMs)
  })
  try {
    return await Promise.race([client.ping(), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

export function closeRedis(client: RedisClient): Promise<void> {
  return client.close()
}
