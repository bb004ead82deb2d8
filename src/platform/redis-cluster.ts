import calculateSlot from 'cluster-key-slot'
import { createClient, createCluster, RESP_TYPES } from 'redis'
import type { Logger } from './log.ts'
import { closeQuietly, connectInBackground, errorReporter, NODE_OPTIONS, type RedisClient, type RedisNode } from './redis-client.ts'

// Redis Cluster (REDIS_CLUSTER_NODES). node-redis routes each command to the primary of its key's
// slot and follows MOVED/ASK redirects (a slot migration). Two things it does not do, done here:
// - after a primary dies it keeps reconnecting to the dead address (it refreshes the slot map only
//   on a redirect), so a node error starts refreshes of the slot map (every REFRESH_MS, backing off
//   while a primary stays unreachable), which find the replica that takes over;
// - its sharded subscriptions on a primary that is dropped from the slot map are lost, so the bus
//   subscription is one connection of our own to the primary of the channels' slot, moved whenever
//   the slot map names another primary for it (after a refresh or a redirect).

const REFRESH_MS = 250
const MAX_REFRESH_MS = 1000

type Cluster = ReturnType<typeof buildCluster>

function buildCluster(nodes: readonly RedisNode[]) {
  return createCluster({ rootNodes: nodes.map((socket) => ({ socket })), defaults: NODE_OPTIONS })
}

export function createClusterRedis(nodes: readonly RedisNode[], log: Logger): RedisClient {
  const cluster = buildCluster(nodes)
  const binary = cluster.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
  const report = errorReporter(log)
  let closed = false
  const onTopology = new Set<() => void>()

  // One refresh at a time; asked again while one runs or too soon after one, it runs once more later.
  // While some primary stays unreachable (no replica has taken over yet, or there is none) it keeps
  // refreshing, backing off to MAX_REFRESH_MS.
  // No primary known (the nodes answered before the cluster was formed) counts as unreachable too.
  const allReachable = () => cluster.masters.length > 0 && cluster.masters.every((m) => m.client?.isReady)
  let refreshing = false
  let timer: Timer | undefined
  let lastRefresh = 0
  let quietFor = REFRESH_MS
  const refresh = () => {
    if (closed || refreshing || timer) return
    const wait = lastRefresh + quietFor - Date.now()
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = undefined
        refresh()
      }, wait)
      timer.unref()
      return
    }
    refreshing = true
    lastRefresh = Date.now()
    // `_slots.rediscover` is node-redis's own refresh (its redirects use it): it asks the node whose
    // client it is given (it reads only its `.options`), then the root nodes.
    const start = cluster.masters.find((m) => m.client?.isReady)?.client ?? ({ options: { socket: nodes[0] } } as unknown as Parameters<typeof cluster._slots.rediscover>[0])
    void cluster._slots
      .rediscover(start)
      .catch(() => undefined)
      .finally(() => {
        refreshing = false
        for (const listener of onTopology) listener()
        const unreachable = !allReachable()
        quietFor = unreachable ? Math.min(quietFor * 2, MAX_REFRESH_MS) : REFRESH_MS
        if (unreachable) refresh()
        else report.ready()
      })
  }
  cluster.on('error', report.error)
  cluster.on('node-error', (err: unknown) => {
    report.error(err)
    refresh()
  })
  connectInBackground(
    () =>
      cluster.connect().then(() => {
        if (allReachable()) report.ready()
        else refresh()
      }),
    () => closed,
  )

  return {
    kind: 'cluster',
    cluster: true,
    publishCommand: 'SPUBLISH',
    get isReady() {
      return cluster.isOpen && cluster.masters.length > 0
    },
    getBuffer: (key) => binary.get(key),
    set: async (key, value, ttlMs, onlyIfAbsent) =>
      (await cluster.set(key, value, { expiration: { type: 'PX', value: ttlMs }, ...(onlyIfAbsent ? { condition: 'NX' } : {}) })) === 'OK',
    eval: (script, keys, args) => cluster.eval(script, { keys, arguments: args }),
    publish: async (channel, message) => Number(await cluster.sPublish(channel, message)),
    subscribe(listeners, onGap) {
      const follower = followSlot(cluster, listeners, onGap, refresh, log)
      onTopology.add(follower.follow)
      follower.follow()
      return async () => {
        onTopology.delete(follower.follow)
        await follower.close()
      }
    },
    async ping() {
      const masters = cluster.masters
      if (masters.length === 0) return false
      const replies = await Promise.all(masters.map(async (m) => (await cluster.nodeClient(m)).ping()))
      return replies.every((r) => r === 'PONG')
    },
    primaries: () =>
      Promise.all(
        cluster.masters.map(async (m) => {
          const node = await cluster.nodeClient(m)
          return { info: await node.info(), keys: Number(await node.dbSize()) }
        }),
      ),
    native: cluster,
    async close() {
      closed = true
      clearTimeout(timer)
      await closeQuietly(cluster)
    },
  }
}

const subscriberOn = (node: RedisNode) => createClient({ ...NODE_OPTIONS, socket: { ...NODE_OPTIONS.socket, ...node } })

/** The bus subscription: one connection to the primary of the channels' (single) slot, following it. */
function followSlot(cluster: Cluster, listeners: Record<string, (message: string) => void>, onGap: () => void, refresh: () => void, log: Logger) {
  const channels = Object.keys(listeners)
  const slot = calculateSlot(channels[0] ?? '')
  if (channels.some((c) => calculateSlot(c) !== slot)) throw new Error('cluster subscriptions of one connection must share a slot (a hash tag)')
  let current: { address: string; client: ReturnType<typeof subscriberOn> } | undefined
  let closed = false
  const follow = () => {
    if (closed) return
    const master = cluster.slots[slot]?.master
    if (!master) return
    const address = `${master.host}:${master.port}`
    if (current?.address === address) return
    const previous = current
    const client = subscriberOn({ host: master.host, port: master.port })
    current = { address, client }
    if (previous) {
      log.warn('redis cluster: the bus follows its slot to another primary', { from: previous.address, to: address })
      void closeQuietly(previous.client)
    }
    // Another primary may not have heard what the previous one announced.
    onGap()
    client.on('error', () => {
      onGap()
      refresh()
    })
    // node-redis resubscribes by itself after a reconnect, before it emits 'ready'.
    client.on('ready', onGap)
    // The slot moved away (a migration): find its new primary.
    client.on('server-sunsubscribe', () => {
      onGap()
      current = undefined
      void closeQuietly(client)
      refresh()
    })
    void client
      .connect()
      .then(() => Promise.all(Object.entries(listeners).map(([channel, listener]) => client.sSubscribe(channel, listener))))
      .then(onGap)
      .catch(() => {
        if (current?.client === client) current = undefined
        refresh()
      })
  }
  // node-redis updates its slot map on every redirect (the heartbeats' SPUBLISH meets one after a
  // migration), so a look at it now and then is enough to follow the slot.
  const watch = setInterval(follow, REFRESH_MS)
  watch.unref()
  return {
    follow,
    async close() {
      closed = true
      clearInterval(watch)
      if (current) await closeQuietly(current.client)
    },
  }
}
