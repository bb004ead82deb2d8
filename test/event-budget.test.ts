import { afterAll, beforeAll, expect, test } from 'bun:test'
import { untilMidnightUtc } from '../src/http/daily-budget.ts'
import { closeRedis, type RedisClient } from '../src/platform/redis.ts'
import { userWithKey } from './support/accounts.ts'
import { testApp } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, uniquePrefix } from './support/redis.ts'

// The events' daily byte budget per user (EVENTS_DAILY_BYTES), one budget across two instances
// sharing Redis: a request that would go over it is refused whole (429, nothing stored, nothing
// spent), so a smaller one still fits.

const BUDGET = 1000

let db: TestDatabase
let redisA: RedisClient
let redisB: RedisClient
let a: ReturnType<typeof testApp>
let b: ReturnType<typeof testApp>

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  const prefix = uniquePrefix()
  ;[redisA, redisB] = await Promise.all([connectedRedis(), connectedRedis()])
  const env = { EVENTS_DAILY_BYTES: String(BUDGET) }
  a = testApp(db.sql, { redis: redisA, cachePrefix: prefix, env })
  b = testApp(db.sql, { redis: redisB, cachePrefix: prefix, env })
})
afterAll(async () => {
  await closeRedis(redisA)
  await closeRedis(redisB)
  await db.drop()
})

/** An event of exactly `bytes` (type + payload as JSON). */
const eventOf = (bytes: number) => ({ type: 'note', payload: { t: 'x'.repeat(bytes - 4 - 8) } })
const send = (api: ReturnType<typeof testApp>, auth: Record<string, string>, events: unknown[]) =>
  api.request('/events/batch', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ events }) })
const stored = async (userId: string) => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM events WHERE user_id = ${userId}`)[0]?.n

test('one budget across instances; a request over it is refused whole and spends nothing', async () => {
  const user = await userWithKey(db.sql)
  expect((await send(a, user.auth, [eventOf(300), eventOf(300)])).status).toBe(201)
  const refused = await send(b, user.auth, [eventOf(300), eventOf(200)])
  expect(refused.status).toBe(429)
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited')
  const retry = Number(refused.headers.get('retry-after'))
  expect(Math.abs(retry - untilMidnightUtc(new Date()) / 1000)).toBeLessThan(5)
  expect(refused.headers.get('ratelimit-policy')).toBe(`"event_bytes";q=${BUDGET};w=86400`)
  expect(refused.headers.get('ratelimit')).toBe(`"event_bytes";r=0;t=${retry}`)
  expect(await stored(user.account.id)).toBe(2)
  // What is left (exactly 400 bytes) is still there to spend, on either instance and either route.
  expect((await b.request('/events', { method: 'POST', headers: { ...user.auth, 'content-type': 'application/json' }, body: JSON.stringify(eventOf(400)) })).status).toBe(201)
  expect((await send(a, user.auth, [eventOf(20)])).status).toBe(429)
  expect(await stored(user.account.id)).toBe(3)
  // Another user has a budget of their own.
  const other = await userWithKey(db.sql)
  expect((await send(a, other.auth, [eventOf(900)])).status).toBe(201)
})
