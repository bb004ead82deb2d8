import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createSession } from '../src/modules/auth/service.ts'
import { closeRedis, type RedisClient } from '../src/platform/redis.ts'
import { userWithKey } from './support/accounts.ts'
import { testApp } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, uniquePrefix } from './support/redis.ts'

// Two instances of the server sharing one Redis (same key prefix), each with its own L1: sign-out,
// key revocation and a plan change made through one are seen by the other within 100 ms (the
// invalidation bus), although the other had the credential cached in its L1.

const BUS_DEADLINE_MS = 100

let db: TestDatabase
let redisA: RedisClient
let redisB: RedisClient
let a: ReturnType<typeof testApp>
let b: ReturnType<typeof testApp>

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  const prefix = uniquePrefix()
  ;[redisA, redisB] = await Promise.all([connectedRedis(), connectedRedis()])
  a = testApp(db.sql, { redis: redisA, cachePrefix: prefix })
  b = testApp(db.sql, { redis: redisB, cachePrefix: prefix })
  await Promise.all([a.cache.start(), b.cache.start()])
  await Bun.sleep(100) // both bus subscribers attached
}, 30_000)
afterAll(async () => {
  await a.cache.close()
  await b.cache.close()
  await closeRedis(redisA)
  await closeRedis(redisB)
  await db.drop()
})

/** Polls instance B until `done(res)`; the milliseconds it took (or Infinity past the deadline × 5). */
async function propagation(path: string, headers: Record<string, string>, done: (res: Response) => Promise<boolean>): Promise<number> {
  const start = performance.now()
  while (performance.now() - start < BUS_DEADLINE_MS * 5) {
    if (await done(await b.request(path, { headers }))) return performance.now() - start
    await Bun.sleep(2)
  }
  return Number.POSITIVE_INFINITY
}

const code = async (res: Response) => ((await res.json()) as { error?: { code: string } }).error?.code

/** Asks B twice and checks the second answer came from B's L1 (so only the bus can change it). */
async function warm(headers: Record<string, string>, type: 'session' | 'api-key') {
  expect((await b.request('/auth/me', { headers })).status).toBe(200)
  const hits = b.cache.stats.of(type).hitsL1
  expect((await b.request('/auth/me', { headers })).status).toBe(200)
  expect(b.cache.stats.of(type).hitsL1).toBe(hits + 1)
}

describe('changes made on one instance reach the other through the bus', () => {
  test('API key revocation', async () => {
    const u = await userWithKey(db.sql)
    await warm(u.auth, 'api-key')
    expect((await a.request(`/auth/api-keys/${u.keyId}`, { method: 'DELETE', headers: u.auth })).status).toBe(204)
    const ms = await propagation('/auth/me', u.auth, async (res) => res.status === 401 && (await code(res)) === 'token_revoked')
    console.log(`key revocation visible on the other instance after ${ms.toFixed(1)} ms`)
    expect(ms).toBeLessThan(BUS_DEADLINE_MS)
  })

  test('sign-out', async () => {
    const u = await userWithKey(db.sql)
    const session = await createSession(db.sql, u.account.id, { userAgent: null, ip: null })
    const cookie = { cookie: `session=${session.token}` }
    await warm(cookie, 'session')
    expect((await a.request('/auth/logout', { method: 'POST', headers: cookie })).status).toBe(204)
    const ms = await propagation('/auth/me', cookie, async (res) => res.status === 401 && (await code(res)) === 'invalid_token')
    console.log(`sign-out visible on the other instance after ${ms.toFixed(1)} ms`)
    expect(ms).toBeLessThan(BUS_DEADLINE_MS)
    // And it stays signed out there: no stale copy comes back.
    await Bun.sleep(BUS_DEADLINE_MS)
    expect((await b.request('/auth/me', { headers: cookie })).status).toBe(401)
  })

  test('a plan change', async () => {
    const u = await userWithKey(db.sql)
    const admin = await userWithKey(db.sql, { role: 'admin' })
    await warm(u.auth, 'api-key')
    const set = await a.request(`/admin/users/${u.account.id}/plan`, {
      method: 'POST',
      headers: { ...admin.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'pro' }),
    })
    expect(set.status).toBe(200)
    const ms = await propagation('/auth/me', u.auth, async (res) => ((await res.json()) as { plan: string }).plan === 'pro')
    console.log(`plan change visible on the other instance after ${ms.toFixed(1)} ms`)
    expect(ms).toBeLessThan(BUS_DEADLINE_MS)
  })
})
