import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { TieredCache, type CacheOptions } from '../../src/cache/tiered-cache.ts'
import { readyResponseCodec } from '../../src/http/ready-codec.ts'
import { IdentityBodies } from '../../src/http/identity-bodies.ts'
import { ReadyResponse } from '../../src/http/ready-response.ts'
import type { Logger } from '../../src/platform/log.ts'
import { closeRedis, type RedisClient } from '../../src/platform/redis.ts'
import { capturingLog, quietLog } from '../support/postgres.ts'
import { cacheOptions, connectedRedis, privateRedis, rawRedis, REDIS_URL, uniquePrefix } from '../support/redis.ts'
import { startTcpProxy } from '../support/tcp-proxy.ts'
import { until } from '../support/until.ts'

// Coherence when Redis loses its state or cannot be heard: instances of one deployment on a
// redis-server of the test's own, each cache with its own connections (as separate processes
// would have). The "database" is a variable the loaders read; every check is "after the write
// returned, no instance serves the old value".

let redis: Awaited<ReturnType<typeof privateRedis>>
beforeAll(async () => {
  redis = await privateRedis(['--maxmemory-policy', 'allkeys-lru'])
})
afterAll(async () => {
  await redis.stop()
})

const decoder = new TextDecoder()
const req = (id: string) => ({ type: 'video', key: id, scopes: [`video:${id}`], ttlSeconds: 3600, codec: readyResponseCodec })

interface Instance {
  cache: TieredCache
  client: RedisClient
  loads: number
  read(id: string): Promise<string>
}

/** `n` instances of one deployment (one prefix) reading `db` for video `id`'s title. */
async function deployment(n: number, db: { title: string }, overrides: Partial<CacheOptions> = {}, options: { url?: string; log?: Logger } = {}) {
  const opts = cacheOptions({ prefix: uniquePrefix(), ...overrides })
  const instances: Instance[] = []
  for (let i = 0; i < n; i++) {
    const client = await connectedRedis(options.url ?? redis.url)
    const cache = new TieredCache(opts, client, options.log ?? quietLog)
    await cache.start()
    const instance: Instance = {
      cache,
      client,
      loads: 0,
      async read(id) {
        const { value } = await cache.getOrLoad(req(id), async () => {
          instance.loads++
          return ReadyResponse.json({ id, title: db.title })
        })
        return (JSON.parse(decoder.decode(new IdentityBodies().of(value))) as { title: string }).title
      },
    }
    instances.push(instance)
  }
  return {
    instances,
    prefix: opts.prefix,
    async close() {
      for (const i of instances) {
        await i.cache.close()
        await closeRedis(i.client)
      }
    },
  }
}

/** Writes the title in the "database", then invalidates through `writer`, as a PATCH does. */
async function write(writer: Instance, db: { title: string }, title: string) {
  db.title = title
  await writer.cache.invalidate(['video:x'])
}

/** A write, then the bound within which every instance must see it (the bus's 100 ms). */
async function writeAndWait(writer: Instance, db: { title: string }, title: string) {
  await write(writer, db, title)
  await Bun.sleep(100)
}

/** Every instance has read the versions again since `before` (its bus reconnected). */
const resynced = (instances: Instance[], before: number[]) => until(() => instances.every((i, n) => i.cache.stats.busResyncs > (before[n] ?? 0)), 5000)

describe('versions never repeat after Redis loses its state', () => {
  const losses: [string, (prefix: string) => Promise<void>][] = [
    ['DEL of the versions hash', async (prefix) => void redis.cli('DEL', `${prefix}:versions`)],
    ['FLUSHALL', async () => void redis.cli('FLUSHALL')],
    [
      'eviction under maxmemory (allkeys-lru)',
      async (prefix) => {
        redis.cli('CONFIG', 'SET', 'maxmemory', '3mb')
        const filler = 'x'.repeat(64 * 1024)
        for (let i = 0; i < 200 && redis.cli('EXISTS', `${prefix}:versions`) === '1'; i++) redis.cli('SET', `filler:${i}`, filler, 'EX', '60')
        redis.cli('CONFIG', 'SET', 'maxmemory', '0')
        expect(redis.cli('EXISTS', `${prefix}:versions`)).toBe('0')
      },
    ],
  ]
  for (const [name, lose] of losses) {
    test(`${name}: the next write is seen by every instance at once`, async () => {
      const db = { title: 'pre-0' }
      const d = await deployment(2, db)
      const [a, b] = d.instances as [Instance, Instance]
      try {
        // Versions climb first: counters restarting from 1 would land on numbers already used.
        for (let i = 1; i <= 3; i++) {
          await writeAndWait(a, db, `pre-${i}`)
          expect([await a.read('x'), await b.read('x')]).toEqual([`pre-${i}`, `pre-${i}`])
        }
        await lose(d.prefix)
        await writeAndWait(a, db, 'post-1')
        expect([await a.read('x'), await b.read('x')]).toEqual(['post-1', 'post-1'])
        await writeAndWait(b, db, 'post-2')
        expect([await a.read('x'), await b.read('x')]).toEqual(['post-2', 'post-2'])
      } finally {
        await d.close()
      }
    })
  }

  test('a restart without persistence: instances resync on reconnect, and the next write is seen everywhere', async () => {
    const db = { title: 'pre-0' }
    const d = await deployment(2, db)
    const [a, b] = d.instances as [Instance, Instance]
    try {
      for (let i = 1; i <= 3; i++) await writeAndWait(a, db, `pre-${i}`)
      expect([await a.read('x'), await b.read('x')]).toEqual(['pre-3', 'pre-3'])
      const before = d.instances.map((i) => i.cache.stats.busResyncs)
      await redis.stop()
      await redis.start()
      await resynced(d.instances, before)
      await writeAndWait(a, db, 'post-1')
      expect([await a.read('x'), await b.read('x')]).toEqual(['post-1', 'post-1'])
    } finally {
      await d.close()
    }
  })

  test('a failover to a replica that missed writes (the hash goes back in time): the next write starts a new epoch', async () => {
    const db = { title: 'pre-0' }
    const d = await deployment(2, db)
    const [a, b] = d.instances as [Instance, Instance]
    const hash = `${d.prefix}:versions`
    const admin = await rawRedis(redis.url)
    try {
      await write(a, db, 'pre-1')
      const replicaState = await admin.hGetAll(hash)
      for (let i = 2; i <= 4; i++) await writeAndWait(a, db, `pre-${i}`)
      expect([await a.read('x'), await b.read('x')]).toEqual(['pre-4', 'pre-4'])
      // What a promoted replica that had replicated only the first write would hold.
      await admin.del(hash)
      await admin.hSet(hash, replicaState)
      await writeAndWait(a, db, 'post-1')
      expect([await a.read('x'), await b.read('x')]).toEqual(['post-1', 'post-1'])
      expect(b.cache.stats.resetsDetected).toBe(1)
    } finally {
      admin.destroy()
      await d.close()
    }
  })

  test('a detected reset is counted and logged at warn; every invalidation is logged at debug with its scopes and origin', async () => {
    const db = { title: 'pre-0' }
    const { log, lines } = capturingLog('debug')
    const d = await deployment(2, db, {}, { log })
    const [a, b] = d.instances as [Instance, Instance]
    try {
      await writeAndWait(a, db, 'pre-1')
      await b.read('x')
      const invalidations = lines.filter((l) => l.msg === 'cache invalidation')
      expect(invalidations.length).toBeGreaterThanOrEqual(2) // sent by a, heard by b
      expect(invalidations.every((l) => Array.isArray(l.scopes) && (l.scopes as string[]).includes('video:x') && typeof l.origin === 'string')).toBe(true)
      expect(lines.filter((l) => l.level === 'warn')).toEqual([])
      redis.cli('FLUSHALL')
      await write(a, db, 'post-1')
      await until(() => b.cache.stats.resetsDetected === 1, 1000)
      expect(a.cache.stats.resetsDetected).toBe(1)
      const warnings = lines.filter((l) => l.level === 'warn')
      expect(warnings.map((l) => l.msg)).toEqual([expect.stringContaining('Redis lost the cache state'), expect.stringContaining('Redis lost the cache state')])
      expect(warnings[0]).toMatchObject({ reason: 'lost' })
    } finally {
      await d.close()
    }
  })
})

describe('while the bus cannot be heard', () => {
  test('values are served only while their data is at most CACHE_BUS_DOWN_MAX_AGE old, then reloaded; a write meanwhile shows within that bound', async () => {
    const db = { title: 'v1' }
    const d = await deployment(2, db, { busDownMaxAgeSeconds: 1 })
    const [a, b] = d.instances as [Instance, Instance]
    try {
      expect([await a.read('x'), await b.read('x')]).toEqual(['v1', 'v1'])
      await Bun.sleep(1100) // the entries' data is now older than the bound; heartbeats keep them trusted
      expect([await a.read('x'), await b.read('x')]).toEqual(['v1', 'v1'])
      expect(a.loads + b.loads).toBe(1) // b found a's copy in L2
      redis.pause() // connections stay open, nothing answers: no heartbeat comes back
      const pausedAt = Date.now()
      await write(a, db, 'v2') // cannot be announced: only a sees it at once
      expect(await a.read('x')).toBe('v2')
      let seenAt = 0
      while (Date.now() - pausedAt < 3000) {
        if ((await b.read('x')) === 'v2') {
          seenAt = Date.now()
          break
        }
        await Bun.sleep(25)
      }
      expect(seenAt).toBeGreaterThan(0)
      // The bound: 1 s after the last heartbeat that came back (sent before the pause), plus one interval.
      expect(seenAt - pausedAt).toBeLessThan(1000 + 400)
      expect(b.cache.busTrusted).toBe(false)
      // Still down: b reloads at most once per bound, not on every request.
      const loads = b.loads
      for (let i = 0; i < 20; i++) expect(await b.read('x')).toBe('v2')
      expect(b.loads - loads).toBeLessThanOrEqual(1)
    } finally {
      redis.resume()
      await d.close()
    }
  })

  test('a write made while its instance could not reach Redis is announced when it can again; that instance never serves the old value meanwhile', async () => {
    const db = { title: 'v1' }
    const proxy = startTcpProxy('127.0.0.1', redis.port)
    const direct = await deployment(1, db)
    const viaProxy = await deployment(1, db, { prefix: direct.prefix }, { url: `redis://127.0.0.1:${proxy.port}` })
    const a = viaProxy.instances[0] as Instance
    const b = direct.instances[0] as Instance
    try {
      expect([await a.read('x'), await b.read('x')]).toEqual(['v1', 'v1'])
      proxy.cut()
      await write(a, db, 'v2')
      const seen: string[] = []
      for (let i = 0; i < 10; i++) seen.push(await a.read('x'))
      expect(new Set(seen)).toEqual(new Set(['v2']))
      // b can reach Redis and hears nothing: it keeps v1 until a is back (the README states this).
      expect(await b.read('x')).toBe('v1')
      const cutAt = Date.now()
      proxy.restore()
      while ((await b.read('x')) !== 'v2') {
        seen.push(await a.read('x'))
        expect(Date.now() - cutAt).toBeLessThan(5000)
        await Bun.sleep(20)
      }
      for (let i = 0; i < 10; i++) seen.push(await a.read('x'))
      expect(new Set(seen)).toEqual(new Set(['v2']))
      expect(await a.cache.settle(1000)).toBe(true)
    } finally {
      proxy.close()
      await viaProxy.close()
      await direct.close()
    }
  })

  test('a write announced while an older one of the same instance is still held: the instance serves the newer one at once', async () => {
    const db = { title: 'v1' }
    const proxy = startTcpProxy('127.0.0.1', redis.port)
    const viaProxy = await deployment(1, db, {}, { url: `redis://127.0.0.1:${proxy.port}` })
    const a = viaProxy.instances[0] as Instance
    try {
      expect(await a.read('x')).toBe('v1')
      proxy.cut()
      await write(a, db, 'v2')
      // Cached under the held write's local version.
      expect(await a.read('x')).toBe('v2')
      proxy.restore()
      // Polled every 10 ms: the held write's retry (every 250 ms) has most likely not run yet, so
      // this write is announced while v2's is still held, and must supersede it.
      await until(() => a.client.isReady, 5000, 'the client reconnected')
      await write(a, db, 'v3')
      expect(await a.read('x')).toBe('v3')
      expect(await a.cache.settle(1000)).toBe(true)
      expect(await a.read('x')).toBe('v3')
    } finally {
      await viaProxy.close()
      proxy.close()
    }
  })

  test('a killed subscription: the instance resyncs when it is back, and a write it missed is seen at once', async () => {
    const db = { title: 'v1' }
    const d = await deployment(2, db)
    const [a, b] = d.instances as [Instance, Instance]
    try {
      expect([await a.read('x'), await b.read('x')]).toEqual(['v1', 'v1'])
      const before = d.instances.map((i) => i.cache.stats.busResyncs)
      db.title = 'v2'
      redis.cli('CLIENT', 'KILL', 'TYPE', 'pubsub')
      await a.cache.invalidate(['video:x']) // published while nobody listens
      await resynced(d.instances, before)
      expect([await a.read('x'), await b.read('x')]).toEqual(['v2', 'v2'])
    } finally {
      await d.close()
    }
  })
})

test('every key the cache writes in the shared Redis expires', async () => {
  const client = await connectedRedis(REDIS_URL)
  const raw = await rawRedis(REDIS_URL)
  const opts = cacheOptions({ prefix: uniquePrefix(), distributedLock: true })
  const cache = new TieredCache(opts, client, quietLog)
  try {
    await cache.start()
    for (let i = 0; i < 5; i++) {
      await cache.getOrLoad(req(`k${i}`), async () => ReadyResponse.json({ i }))
      await cache.invalidate([`video:k${i}`])
    }
    await Bun.sleep(50)
    const keys: string[] = []
    for await (const batch of raw.scanIterator({ MATCH: `${opts.prefix}*`, COUNT: 1000 })) keys.push(...batch)
    expect(keys.length).toBeGreaterThanOrEqual(6) // values and the versions hash
    const ttls = await Promise.all(keys.map((k) => raw.pTTL(k)))
    expect(keys.filter((_, i) => (ttls[i] ?? -1) <= 0)).toEqual([])
  } finally {
    await cache.close()
    await closeRedis(client)
    raw.destroy()
  }
})
