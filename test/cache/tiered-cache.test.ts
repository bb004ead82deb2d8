import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'bun:test'
import { TieredCache } from '../../src/cache/tiered-cache.ts'
import { readyResponseCodec } from '../../src/http/ready-codec.ts'
import { IdentityBodies } from '../../src/http/identity-bodies.ts'
import { ReadyResponse } from '../../src/http/ready-response.ts'
import { quietLog } from '../support/postgres.ts'
import { cacheOptions, testCache } from '../support/redis.ts'

const video = (id: string, title = 't') => ReadyResponse.json({ id, title })
const req = (key: string, scopes: string[] = [], ttlSeconds = 60) => ({ type: 'video', key, scopes, ttlSeconds, codec: readyResponseCodec })
const text = (r: ReadyResponse) => new TextDecoder().decode(new IdentityBodies().of(r))

describe('read path', () => {
  test('miss, then L1 hit; a second instance hits L2 and fills its L1', async () => {
    const opts = cacheOptions()
    const a = await testCache(opts)
    const b = await testCache(opts)
    try {
      let calls = 0
      const loader = async () => {
        calls++
        return video('1')
      }
      expect((await a.cache.getOrLoad(req('1'), loader)).source).toBe('loaded')
      expect((await a.cache.getOrLoad(req('1'), loader)).source).toBe('l1')
      await Bun.sleep(20) // the L2 write is fire-and-forget
      const fromL2 = await b.cache.getOrLoad(req('1'), loader)
      expect(fromL2.source).toBe('l2')
      expect(text(fromL2.value)).toBe(text(video('1')))
      expect(fromL2.value.etag).toBe(video('1').etag)
      expect((await b.cache.getOrLoad(req('1'), loader)).source).toBe('l1')
      expect(calls).toBe(1)
    } finally {
      await a.close()
      await b.close()
    }
  })

  test('1,000 concurrent callers on a cold key: exactly one loader call', async () => {
    const { cache, close } = await testCache(cacheOptions())
    try {
      let calls = 0
      const loader = async () => {
        calls++
        await Bun.sleep(30)
        return video('hot')
      }
      const results = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrLoad(req('hot'), loader)))
      expect(calls).toBe(1)
      expect(results.every((r) => text(r.value) === text(video('hot')))).toBe(true)
      expect(cache.stats.of('video').coalesced).toBe(999)
    } finally {
      await close()
    }
  })

  test('ENABLE_CACHING=false bypasses both tiers', async () => {
    const { cache, close } = await testCache(cacheOptions({ enabled: false }))
    try {
      let calls = 0
      const loader = async () => {
        calls++
        return video('x')
      }
      expect((await cache.getOrLoad(req('x'), loader)).source).toBe('bypass')
      expect((await cache.getOrLoad(req('x'), loader)).source).toBe('bypass')
      expect(calls).toBe(2)
      expect(cache.l1Entries).toBe(0)
    } finally {
      await close()
    }
  })

  test('works with no Redis at all (L1 only)', async () => {
    const cache = new TieredCache(cacheOptions(), undefined, quietLog)
    await cache.start()
    let calls = 0
    const loader = async () => {
      calls++
      return video('solo')
    }
    expect((await cache.getOrLoad(req('solo'), loader)).source).toBe('loaded')
    expect((await cache.getOrLoad(req('solo'), loader)).source).toBe('l1')
    await cache.invalidate(['video:solo'])
    expect((await cache.getOrLoad(req('solo', ['video:solo']), loader)).source).toBe('loaded')
    expect(calls).toBe(2)
  })
})

describe('freshness', () => {
  test('stale-while-revalidate: an expired entry is served at once while exactly one refresh runs', async () => {
    const { cache, close } = await testCache(cacheOptions({ graceSeconds: 60 }))
    try {
      let calls = 0
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      const loader = async () => {
        calls++
        if (calls > 1) await gate
        return video('swr', `v${calls}`)
      }
      const r = req('swr', [], 0.05)
      await cache.getOrLoad(r, loader)
      await Bun.sleep(80) // past the 50 ms TTL (±10% jitter)
      const stale = await Promise.all(Array.from({ length: 50 }, () => cache.getOrLoad(r, loader)))
      expect(stale.every((s) => s.source === 'stale' && text(s.value).includes('"v1"'))).toBe(true)
      expect(calls).toBe(2) // one refresh for 50 stale reads
      release()
      await Bun.sleep(20)
      const fresh = await cache.getOrLoad(r, loader)
      expect(fresh.source).toBe('l1')
      expect(text(fresh.value)).toContain('"v2"')
    } finally {
      await close()
    }
  })

  test('a burst of expiries refreshes at most 4 entries at a time; the others stay stale until a later request', async () => {
    const { cache, close } = await testCache(cacheOptions({ graceSeconds: 60 }))
    try {
      let running = 0
      let most = 0
      let refreshing = false
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      const loader = (id: string) => async () => {
        running++
        most = Math.max(most, running)
        if (refreshing) await gate
        running--
        return video(id, refreshing ? 'new' : 'old')
      }
      const ids = Array.from({ length: 20 }, (_, i) => `burst${i}`)
      for (const id of ids) await cache.getOrLoad(req(id, [], 0.05), loader(id))
      await Bun.sleep(80) // every entry past its 50 ms TTL
      refreshing = true
      most = 0
      const first = await Promise.all(ids.map((id) => cache.getOrLoad(req(id, [], 0.05), loader(id))))
      expect(first.every((r) => r.source === 'stale' && text(r.value).includes('"old"'))).toBe(true)
      expect(running).toBe(4)
      release()
      await Bun.sleep(20)
      // The rest refresh on later requests that find them stale, never more than 4 at once.
      const sources: string[][] = []
      for (let round = 0; round < 20 && !sources.at(-1)?.every((s) => s === 'l1'); round++) {
        sources.push((await Promise.all(ids.map((id) => cache.getOrLoad(req(id, [], 60), loader(id))))).map((r) => r.source))
        await Bun.sleep(5)
      }
      expect(sources[0]?.filter((s) => s === 'l1').length).toBe(4)
      expect(sources.at(-1)?.every((s) => s === 'l1')).toBe(true)
      expect(most).toBe(4)
      const last = await Promise.all(ids.map((id) => cache.getOrLoad(req(id, [], 60), loader(id))))
      expect(last.every((r) => text(r.value).includes('"new"'))).toBe(true)
    } finally {
      await close()
    }
  })

  test('fail-safe: a failing loader serves the stale value within grace, then fails after it', async () => {
    const { cache, close } = await testCache(cacheOptions({ graceSeconds: 0.3 }))
    try {
      let fail = false
      const loader = async () => {
        if (fail) throw new Error('database down')
        return video('fs')
      }
      const r = req('fs', [], 0.05)
      await cache.getOrLoad(r, loader)
      fail = true
      await Bun.sleep(80)
      const served = await cache.getOrLoad(r, loader)
      expect(served.source).toBe('stale')
      expect(text(served.value)).toBe(text(video('fs')))
      await Bun.sleep(400) // past TTL + grace
      await expect(cache.getOrLoad(r, loader)).rejects.toThrow('database down')
    } finally {
      await close()
    }
  })

  test('404s are cached briefly and dropped when the thing is created; 5xx are never cached', async () => {
    const { cache, close } = await testCache(cacheOptions())
    try {
      let exists = false
      let calls = 0
      const loader = async () => {
        calls++
        return exists ? video('new') : ReadyResponse.json({ error: { code: 'video_not_found', message: '' } }, 404)
      }
      const r = req('new', ['video:new'])
      expect((await cache.getOrLoad(r, loader)).value.status).toBe(404)
      expect((await cache.getOrLoad(r, loader)).source).toBe('l1')
      exists = true
      await cache.invalidate(['video:new'])
      const created = await cache.getOrLoad(req('new', ['video:new']), loader)
      expect(created.value.status).toBe(200)
      expect(calls).toBe(2)

      let errors = 0
      const broken = async () => {
        errors++
        return ReadyResponse.json({ error: { code: 'x', message: '' } }, 500)
      }
      await cache.getOrLoad(req('err'), broken)
      await cache.getOrLoad(req('err'), broken)
      expect(errors).toBe(2)
    } finally {
      await close()
    }
  })
})

describe('bounds', () => {
  test('100,000 distinct keys never push L1 past its byte limit', async () => {
    const max = 4 * 1024 * 1024
    const cache = new TieredCache(cacheOptions({ l1MaxBytes: max }), undefined, quietLog)
    const body = ReadyResponse.json({ pad: 'x'.repeat(200) })
    for (let i = 0; i < 100_000; i++) {
      await cache.getOrLoad(req(`k${i}`), async () => body)
      if (i % 5000 === 0) expect(cache.l1Bytes).toBeLessThanOrEqual(max)
    }
    expect(cache.l1Bytes).toBeLessThanOrEqual(max)
    expect(cache.l1Entries).toBeGreaterThan(1000)
    expect(cache.l1Entries).toBeLessThan(100_000)
  })

  test('an entry larger than the per-entry cap is served but not kept in L1', async () => {
    const cache = new TieredCache(cacheOptions({ l1MaxEntryBytes: 10_000 }), undefined, quietLog)
    // Random text: what is kept is the gzip bytes, and a repeated character would gzip to ~100 bytes.
    const big = ReadyResponse.json({ pad: randomBytes(40_000).toString('base64') })
    expect(big.size).toBeGreaterThan(10_000)
    let calls = 0
    const loader = async () => {
      calls++
      return big
    }
    expect((await cache.getOrLoad(req('big'), loader)).value).toBe(big)
    expect((await cache.getOrLoad(req('big'), loader)).source).toBe('loaded')
    expect(calls).toBe(2)
    expect(cache.l1Entries).toBe(0)
  })
})

describe('invalidation across instances', () => {
  test('a write through A is seen by B within 100 ms, never the old body after that', async () => {
    const opts = cacheOptions()
    const a = await testCache(opts)
    const b = await testCache(opts)
    try {
      await Bun.sleep(100) // let both subscribers attach
      let version = 1
      const loader = async () => video('shared', `v${version}`)
      const r = () => req('shared', ['video:shared'])
      await a.cache.getOrLoad(r(), loader)
      expect(text((await b.cache.getOrLoad(r(), loader)).value)).toContain('"v1"')
      version = 2
      await a.cache.invalidate(['video:shared'])
      await Bun.sleep(100)
      for (let i = 0; i < 20; i++) {
        expect(text((await b.cache.getOrLoad(r(), loader)).value)).toContain('"v2"')
        expect(text((await a.cache.getOrLoad(r(), loader)).value)).toContain('"v2"')
      }
      expect(b.cache.stats.busMessagesIn).toBeGreaterThan(0)
    } finally {
      await a.close()
      await b.close()
    }
  })

  test('a namespace bump drops every value of that type', async () => {
    const { cache, close } = await testCache(cacheOptions())
    try {
      let calls = 0
      const loader = async () => {
        calls++
        return video('q')
      }
      const search = (q: string) => ({ type: 'search', key: q, scopes: [], ttlSeconds: 60, codec: readyResponseCodec })
      await cache.getOrLoad(search('a'), loader)
      await cache.getOrLoad(search('b'), loader)
      await cache.getOrLoad(req('unrelated'), loader)
      await cache.invalidate(['ns:search'])
      expect((await cache.getOrLoad(search('a'), loader)).source).toBe('loaded')
      expect((await cache.getOrLoad(search('b'), loader)).source).toBe('loaded')
      expect((await cache.getOrLoad(req('unrelated'), loader)).source).toBe('l1')
      expect(calls).toBe(5)
    } finally {
      await close()
    }
  })

  test('three instances with the distributed lock: exactly one loader call', async () => {
    const opts = cacheOptions({ distributedLock: true })
    const instances = await Promise.all([0, 1, 2].map(() => testCache(opts)))
    try {
      let calls = 0
      const loader = async () => {
        calls++
        await Bun.sleep(100)
        return video('locked')
      }
      const all = await Promise.all(instances.flatMap((i) => Array.from({ length: 50 }, () => i.cache.getOrLoad(req('locked'), loader))))
      expect(calls).toBe(1)
      expect(all.every((r) => text(r.value) === text(video('locked')))).toBe(true)
    } finally {
      await Promise.all(instances.map((i) => i.close()))
    }
  })
})
