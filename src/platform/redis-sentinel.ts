import { createSentinel, RESP_TYPES } from 'redis'
import type { Logger } from './log.ts'
import { closeQuietly, connectInBackground, errorReporter, NODE_OPTIONS, type RedisClient, type RedisNode } from './redis-client.ts'

// Redis behind Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): node-redis asks the sentinels for the
// primary, keeps its connections (commands and the one subscription connection) on it, and moves them
// when the sentinels announce a new one.

export function createSentinelRedis(topology: { sentinels: readonly RedisNode[]; name: string }, log: Logger): RedisClient {
  const sentinel = createSentinel({
    name: topology.name,
    sentinelRootNodes: [...topology.sentinels],
    nodeClientOptions: NODE_OPTIONS,
    sentinelClientOptions: NODE_OPTIONS,
  })
  const binary = sentinel.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
  const report = errorReporter(log)
  // The trouble of the subscription's connection and of the sentinels' surfaces here (the primary's
  // command connections report 'client-error'): any of it may have cost the bus messages.
  const gapListeners = new Set<() => void>()
  sentinel.on('error', (err: unknown) => {
    report.error(err)
    for (const onGap of gapListeners) onGap()
  })
  sentinel.on('topology-change', (event: { type: string; node?: RedisNode }) => {
    if (event.type !== 'MASTER_CHANGE') return
    log.warn('redis sentinel: following a new primary', { primary: event.node ? `${event.node.host}:${event.node.port}` : undefined })
    report.ready()
    // The subscription moves to the new primary, which may not have seen every write.
    for (const onGap of gapListeners) onGap()
  })
  let closed = false
  connectInBackground(
    () => sentinel.connect().then(report.ready),
    () => closed,
  )
  // Until the sentinels have named a primary, node-redis holds commands (16 s with no sentinel
  // reachable): refuse them at once instead, as a disconnected client does.
  const connected = <T>(command: () => Promise<T>): Promise<T> =>
    sentinel.isReady ? command() : Promise.reject(new Error('redis sentinel: not connected'))
  return {
    kind: 'sentinel',
    cluster: false,
    publishCommand: 'PUBLISH',
    get isReady() {
      return sentinel.isReady
    },
    getBuffer: (key) => connected(() => binary.get(key)),
    set: (key, value, ttlMs, onlyIfAbsent) =>
      connected(async () => (await sentinel.set(key, value, { expiration: { type: 'PX', value: ttlMs }, ...(onlyIfAbsent ? { condition: 'NX' } : {}) })) === 'OK'),
    eval: (script, keys, args) => connected(() => sentinel.eval(script, { keys, arguments: args })),
    publish: (channel, message) => connected(async () => Number(await sentinel.publish(channel, message))),
    subscribe(listeners, onGap) {
      gapListeners.add(onGap)
      // The sentinel client keeps one subscription connection on the current primary and moves it
      // (with its channels) on a failover.
      void Promise.all(Object.entries(listeners).map(([channel, listener]) => sentinel.subscribe(channel, listener)))
        .then(onGap)
        .catch(() => log.warn('cache bus could not subscribe; cached values are trusted only while recent (CACHE_BUS_DOWN_MAX_AGE)'))
      return async () => {
        gapListeners.delete(onGap)
        await sentinel.unsubscribe(Object.keys(listeners)).catch(() => undefined)
      }
    },
    ping: () => connected(async () => (await sentinel.ping()) === 'PONG'),
    primaries: () => connected(async () => [{ info: await sentinel.info(), keys: Number(await sentinel.dbSize()) }]),
    native: sentinel,
    async close() {
      closed = true
      await closeQuietly(sentinel)
    },
  }
}

