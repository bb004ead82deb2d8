import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { privateRedis, TEST_VERSIONS_TTL_SECONDS, uniquePrefix } from './support/redis.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'

// The reproduction of the issue, with two server processes on one redis-server of the test's own:
// write a few times so the versions climb, lose Redis's state, write again: both instances answer
// the new title within 100 ms (they used to answer the old one for ~300 s).

const ADMIN_TOKEN = 'admin-token-for-state-loss-tests-0123456789'
const MAIN = join(import.meta.dir, '../src/main.ts')

let db: TestDatabase
let redis: Awaited<ReturnType<typeof privateRedis>>
let servers: ServerProcess[] = []
let videoId: string
const prefix = uniquePrefix()

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  const [row] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id, title, state) VALUES ('stateLoss01', 'pre-0', 'completed') RETURNING id`
  videoId = (row as { id: string }).id
  redis = await privateRedis()
  const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, ADMIN_TOKEN, CACHE_PREFIX: prefix, CACHE_VERSIONS_TTL: String(TEST_VERSIONS_TTL_SECONDS), LOG_LEVEL: 'info' }
  servers = await Promise.all([0, 1].map(() => startServer(['bun', MAIN, 'serve'], { env })))
}, 60_000)
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
  await redis.stop()
  await db.drop()
})

const patch = (server: ServerProcess, title: string) =>
  fetch(`${server.baseUrl}/videos/${videoId}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ title }) })
const titles = () => Promise.all(servers.map(async (s) => ((await (await fetch(`${s.baseUrl}/videos/${videoId}`)).json()) as { title: string }).title))

describe.each([
  ['DEL of the versions hash', async () => void redis.cli('DEL', `${prefix}:versions`)],
  ['FLUSHALL', async () => void redis.cli('FLUSHALL')],
  ['a restart without persistence', async () => {
    await redis.stop()
    await redis.start()
    await Bun.sleep(2500) // node-redis reconnects with backoff (at most 2 s)
  }],
])('after %s', (_, lose) => {
  test('a write is seen by both instances within 100 ms', async () => {
    const [a] = servers as [ServerProcess]
    for (let i = 1; i <= 3; i++) {
      expect((await patch(a, `pre-${i}`)).status).toBe(200)
      await Bun.sleep(100)
      expect(await titles()).toEqual([`pre-${i}`, `pre-${i}`])
    }
    await lose()
    expect((await patch(a, 'post-1')).status).toBe(200)
    await Bun.sleep(100)
    expect(await titles()).toEqual(['post-1', 'post-1'])
  }, 30_000)
})
