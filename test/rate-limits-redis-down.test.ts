import { afterAll, beforeAll, expect, test } from 'bun:test'
import { closeRedis, createRedis, type RedisClient } from '../src/platform/redis.ts'
import { testApp } from './support/app.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'

// With Redis unreachable the fleet-wide limits still hold, each instance counting in its own memory
// (the insurance limiter), and the limiter adds no wait.

let db: TestDatabase
let dead: RedisClient

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  // Nothing listens on port 1: the client never becomes ready.
  dead = createRedis('redis://127.0.0.1:1', quietLog)
})
afterAll(async () => {
  await closeRedis(dead)
  await db.drop()
})

test('Redis down: limits are enforced per instance in memory, without waiting for Redis', async () => {
  const api = testApp(db.sql, { redis: dead, env: { RATE_LIMIT_WRITE: '3/60', RATE_LIMIT_AUTH_FAILURE: '2/60' } })
  const started = performance.now()
  const write = () => api.request('/favorites', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await write()).status)
  expect(statuses).toEqual([401, 401, 401, 429])
  // Rejected credentials are counted in memory too.
  const bad = { authorization: `Bearer ta_${'y'.repeat(43)}` }
  expect((await api.request('/auth/me', { headers: bad })).status).toBe(401)
  expect((await api.request('/auth/me', { headers: bad })).status).toBe(401)
  expect((await api.request('/auth/me', { headers: bad })).status).toBe(429)
  expect(performance.now() - started).toBeLessThan(1000)
})
