import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readyResponseCodec } from '../../src/http/ready-codec.ts'
import { ReadyResponse } from '../../src/http/ready-response.ts'
import { cacheOptions, connectedRedis, privateRedis, testCache } from '../support/redis.ts'

// A real redis-server of the test's own, stopped and restarted mid-run.

let redis: Awaited<ReturnType<typeof privateRedis>>
beforeAll(async () => {
  redis = await privateRedis()
})
afterAll(async () => {
  await redis.stop()
})

const req = (key: string) => ({ type: 'video', key, scopes: [], ttlSeconds: 60, codec: readyResponseCodec })

describe('Redis outage', () => {
  test('requests keep succeeding within the L2 timeout while Redis is down; L2 is used again after it returns', async () => {
    const opts = cacheOptions({ l2TimeoutMs: 50 })
    const a = await testCache(opts, await connectedRedis(redis.url))
    try {
      const loaderMs = 5
      const loader = async (key: string) => {
        await Bun.sleep(loaderMs)
        return ReadyResponse.json({ key })
      }
      await a.cache.getOrLoad(req('warm'), () => loader('warm'))

      await redis.stop()
      const latencies: number[] = []
      for (let i = 0; i < 200; i++) {
        const started = performance.now()
        const r = await a.cache.getOrLoad(req(`cold-${i}`), () => loader(`cold-${i}`))
        latencies.push(performance.now() - started)
        expect(r.value.status).toBe(200)
      }
      latencies.sort((x, y) => x - y)
      const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Infinity
      // Every request succeeded; the slowest paid at most the L2 timeout on top of the loader.
      expect(p99).toBeLessThan(opts.l2TimeoutMs + loaderMs + 40)
      expect(a.cache.breakerState).toBe('open')
      expect((await a.cache.getOrLoad(req('warm'), () => loader('warm'))).source).toBe('l1')

      await redis.start()
      for (let i = 0; i < 100 && !(a.redis.isReady && a.cache.breakerState !== 'open'); i++) await Bun.sleep(50)
      await Bun.sleep(2100) // breaker cool-down, then one probe closes it
      await a.cache.getOrLoad(req('after'), () => loader('after'))
      await a.cache.getOrLoad(req('after-2'), () => loader('after-2'))
      await Bun.sleep(50)
      const b = await testCache(opts, await connectedRedis(redis.url))
      try {
        expect((await b.cache.getOrLoad(req('after-2'), () => loader('after-2'))).source).toBe('l2')
      } finally {
        await b.close()
      }
    } finally {
      await a.close()
    }
  }, 30_000)

  test('a hung Redis (connected, never answering) costs at most the timeout, then the breaker skips it', async () => {
    const opts = cacheOptions({ l2TimeoutMs: 50 })
    const a = await testCache(opts, await connectedRedis(redis.url))
    try {
      redis.pause()
      const latencies: number[] = []
      for (let i = 0; i < 40; i++) {
        const started = performance.now()
        const r = await a.cache.getOrLoad(req(`hung-${i}`), async () => ReadyResponse.json({ i }))
        latencies.push(performance.now() - started)
        expect(r.value.status).toBe(200)
      }
      expect(a.cache.breakerState).toBe('open')
      // the first few calls waited for the timeout; once open, the breaker answers at once
      expect(Math.max(...latencies.slice(0, 5))).toBeLessThan(opts.l2TimeoutMs + 40)
      expect(Math.max(...latencies.slice(10))).toBeLessThan(10)
    } finally {
      redis.resume()
      await a.close()
    }
  }, 30_000)
})
