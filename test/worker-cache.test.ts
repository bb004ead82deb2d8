import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { createCache } from '../src/cache/create.ts'
import type { TieredCache } from '../src/cache/tiered-cache.ts'
import { closeRedis, type RedisClient } from '../src/platform/redis.ts'
import { startWorker } from '../src/worker/index.ts'
import { userWithKey } from './support/accounts.ts'
import { testApp, testConfig } from './support/app.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, uniquePrefix } from './support/redis.ts'

// A finished job reaches the servers' caches at once: the worker bumps the generations of what it
// wrote and announces them on the bus, so a server never serves the pre-job answer after that.

const FAKE = join(import.meta.dir, 'fixtures/fake-transcriber.sh')
const YOUTUBE_ID = 'cacheTest01'

let db: TestDatabase
let serverRedis: RedisClient
let workerRedis: RedisClient
let workerCache: TieredCache
let api: ReturnType<typeof testApp>

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  const prefix = uniquePrefix()
  serverRedis = await connectedRedis()
  workerRedis = await connectedRedis()
  api = testApp(db.sql, { redis: serverRedis, cachePrefix: prefix })
  await api.cache.start()
  workerCache = createCache(testConfig(), workerRedis, quietLog, prefix)
  await workerCache.start()
  await Bun.sleep(100) // both bus subscribers attached
})
afterAll(async () => {
  await api.cache.close()
  await workerCache.close()
  await closeRedis(serverRedis)
  await closeRedis(workerRedis)
  await db.drop()
})

async function runOneJob(segments: number): Promise<void> {
  const { auth } = await userWithKey(db.sql)
  const post = await api.request('/jobs', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `https://youtu.be/${YOUTUBE_ID}`, kind: 'single' }),
  })
  expect(post.status).toBe(201)
  const { id } = (await post.json()) as { id: string }
  const worker = startWorker({
    sql: db.sql,
    log: quietLog,
    argv: [FAKE],
    concurrency: 1,
    maxAttempts: 1,
    stuckAfterSeconds: 60,
    pollIntervalMs: 20,
    env: { FAKE_SEGMENTS: String(segments) },
    invalidate: (scopes) => workerCache.invalidate(scopes),
  })
  try {
    for (let i = 0; i < 400; i++) {
      const [row] = await db.sql<{ state: string }[]>`SELECT state FROM jobs WHERE id = ${id}`
      if (row?.state === 'completed') return
      if (row?.state === 'failed') throw new Error('job failed')
      await Bun.sleep(25)
    }
    throw new Error('job did not complete')
  } finally {
    await worker.stop(1000)
  }
}

describe('worker → cache invalidation', () => {
  test('lists, video and transcript reflect a finished job within 100 ms', async () => {
    const emptyList = (await (await api.request('/videos')).json()) as { items: unknown[] }
    expect(emptyList.items).toEqual([])
    expect((await api.request('/videos')).headers.get('x-cache')).toBe('HIT-L1')

    await runOneJob(2)
    await Bun.sleep(100)
    const list = (await (await api.request('/videos')).json()) as { items: { id: string; youtube_id: string }[] }
    expect(list.items.map((v) => v.youtube_id)).toEqual([YOUTUBE_ID])
    const videoId = list.items[0]!.id

    const first = await api.request(`/videos/${videoId}/transcript`)
    expect(((await first.json()) as { segments: unknown[] }).segments).toHaveLength(2)
    expect((await api.request(`/videos/${videoId}/transcript`)).headers.get('x-cache')).toBe('HIT-L1')

    await runOneJob(4)
    await Bun.sleep(100)
    for (let i = 0; i < 5; i++) {
      const again = await api.request(`/videos/${videoId}/transcript`)
      expect(((await again.json()) as { segments: unknown[] }).segments).toHaveLength(4)
    }
    expect(api.cache.stats.busMessagesIn).toBeGreaterThan(0)
  }, 30_000)
})
