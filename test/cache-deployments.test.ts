import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { defaultCachePrefix } from '../src/cache/prefix.ts'
import { createPool } from '../src/platform/db.ts'
import { readDeploymentIdentity } from '../src/platform/deployment.ts'
import { closeRedis, type RedisClient } from '../src/platform/redis.ts'
import { testApp } from './support/app.ts'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, privateRedis } from './support/redis.ts'

// Two deployments on one Redis server never meet: not with different database numbers (pub/sub
// ignores them; the default prefix tells the deployments apart), and not with one database number
// and two CACHE_PREFIXes. Each deployment has its own PostgreSQL database and two instances; the
// same search is cached in both, and a transcript written in one must change nothing in the other.

const ADMIN_TOKEN = 'admin-token-for-deployment-tests-0123456789'

let redis: Awaited<ReturnType<typeof privateRedis>>
const clients: RedisClient[] = []
const databases: TestDatabase[] = []

beforeAll(async () => {
  redis = await privateRedis()
})
afterAll(async () => {
  for (const c of clients) await closeRedis(c)
  await redis.stop()
  for (const d of databases) await d.drop()
})

interface Deployment {
  name: string
  prefix: string
  videoId: string
  instances: ReturnType<typeof testApp>[]
}

/** A deployment: its own database (one video, titled after it) and two instances on Redis database `dbNumber`. */
async function deployment(name: string, dbNumber: number, prefix?: string): Promise<Deployment> {
  const db = await createTestDatabase({ migrated: true })
  databases.push(db)
  const videoId = await videoWithTranscript(db.sql, 'sharedYtId1', 5)
  await db.sql`UPDATE videos SET title = ${`Deployment ${name}`} WHERE id = ${videoId}`
  const url = `${redis.url}/${dbNumber}`
  const cachePrefix = prefix ?? defaultCachePrefix(await readDeploymentIdentity(db.sql), url)
  const instances: ReturnType<typeof testApp>[] = []
  for (let i = 0; i < 2; i++) {
    const client = await connectedRedis(url)
    clients.push(client)
    const app = testApp(db.sql, { redis: client, cachePrefix, env: { ADMIN_TOKEN } })
    await app.cache.start()
    instances.push(app)
  }
  return { name, prefix: cachePrefix, videoId, instances }
}

/** `query` is a search query string (`q=…&limit=…`): each check uses one of its own, so nothing is cached yet. */
async function search(app: ReturnType<typeof testApp>, query: string) {
  const res = await app.request(`/search?${query}`)
  expect(res.status).toBe(200)
  const body = (await res.json()) as { items: { title: string; snippet: string }[] }
  return { xCache: res.headers.get('x-cache'), titles: [...new Set(body.items.map((h) => h.title))], snippets: body.items.map((h) => h.snippet) }
}

async function putTranscript(app: ReturnType<typeof testApp>, videoId: string, text: string) {
  const res = await app.request(`/videos/${videoId}/transcript?source=whisper`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ segments: [{ start_ms: 0, end_ms: 1000, text }] }),
  })
  expect(res.status).toBe(200)
}

async function expectNoInterference(p: Deployment, q: Deployment, round: { query: string; marker: string }) {
  const { query, marker } = round
  expect(p.prefix).not.toBe(q.prefix)
  const [p1, p2] = p.instances as [ReturnType<typeof testApp>, ReturnType<typeof testApp>]
  const [q1, q2] = q.instances as [ReturnType<typeof testApp>, ReturnType<typeof testApp>]
  // The same search, cached in both deployments, each with its own database's answer.
  for (const app of [p1, q1]) await search(app, query)
  expect((await search(p1, query)).titles).toEqual([`Deployment ${p.name}`])
  expect((await search(q1, query)).titles).toEqual([`Deployment ${q.name}`])
  // A second instance finds its own deployment's copy in L2, never the other's.
  expect(await search(q2, query)).toMatchObject({ xCache: 'HIT-L2', titles: [`Deployment ${q.name}`] })
  const heardByQ = q.instances.map((i) => i.cache.stats.busMessagesIn)

  await putTranscript(p1, p.videoId, `the cache now answers with the word ${marker}`)
  await Bun.sleep(100)
  // Both instances of p answer the new transcript (not a copy from before the write) …
  for (const app of [p1, p2]) expect((await search(app, `q=${marker}`)).titles).toEqual([`Deployment ${p.name}`])
  expect((await search(p2, query)).snippets.join()).toContain(marker)
  // … and q heard nothing: same answers from its L1, no bus message from p.
  expect(await search(q1, query)).toMatchObject({ xCache: 'HIT-L1', titles: [`Deployment ${q.name}`] })
  expect(await search(q2, query)).toMatchObject({ xCache: 'HIT-L1', titles: [`Deployment ${q.name}`] })
  expect((await search(q1, `q=${marker}`)).titles).toEqual([])
  expect(q.instances.map((i) => i.cache.stats.busMessagesIn)).toEqual(heardByQ)
}

describe('two deployments on one Redis server do not interfere', () => {
  test('different Redis database numbers, default prefixes', async () => {
    const x = await deployment('X', 1)
    const y = await deployment('Y', 2)
    expect(x.prefix).toMatch(/^transcript-api:ta_test_[0-9a-f]+:[0-9a-f]{12}:db1$/)
    expect(y.prefix).toMatch(/:db2$/)
    await expectNoInterference(x, y, { query: 'q=cache', marker: 'alpha' })
    await expectNoInterference(y, x, { query: 'q=cache&limit=7', marker: 'bravo' })
  })

  test('the same database number, two CACHE_PREFIXes', async () => {
    const x = await deployment('V', 3, 'deployment-v')
    const y = await deployment('W', 3, 'deployment-w')
    await expectNoInterference(x, y, { query: 'q=cache', marker: 'alpha' })
    await expectNoInterference(y, x, { query: 'q=cache&limit=7', marker: 'bravo' })
  })

  test('instances of one deployment agree on the default prefix whatever address they reach the database at', async () => {
    const db = await createTestDatabase({ migrated: true })
    databases.push(db)
    const viaLoopback = await readDeploymentIdentity(db.sql)
    const other = new URL(db.url)
    other.hostname = 'localhost'
    const sql = createPool(other.toString(), { max: 1, applicationName: 'prefix test' })
    try {
      expect(defaultCachePrefix(await readDeploymentIdentity(sql), redis.url)).toBe(defaultCachePrefix(viaLoopback, redis.url))
    } finally {
      await sql.end()
    }
  })
})
