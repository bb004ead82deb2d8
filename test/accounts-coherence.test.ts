import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { createSession } from '../src/modules/auth/service.ts'
import { closeRedis, type RedisClient } from '../src/platform/redis.ts'
import { userWithKey } from './support/accounts.ts'
import { testApp } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, privateRedis, TEST_VERSIONS_TTL_SECONDS, uniquePrefix } from './support/redis.ts'
import { until } from './support/until.ts'

// Credentials are never revived: sign-outs, revocations, plan and role changes made on one instance
// (or by the CLI) take effect on another within 1 s, also when Redis restarted or was flushed in
// between; with Redis down, the other instance reuses its cached identity only for
// CACHE_BUS_DOWN_MAX_AGE. Two in-process instances of one deployment on a redis-server of the
// test's own, each with its own connections.

const ADMIN_TOKEN = 'admin-token-for-coherence-tests-0123456789'
const BUS_DOWN_MAX_AGE_S = 2
const MAIN = join(import.meta.dir, '../src/main.ts')

let db: TestDatabase
let redis: Awaited<ReturnType<typeof privateRedis>>
const prefix = uniquePrefix()
const clients: RedisClient[] = []
let a: ReturnType<typeof testApp>
let b: ReturnType<typeof testApp>

async function instance() {
  const client = await connectedRedis(redis.url)
  clients.push(client)
  const app = testApp(db.sql, { redis: client, cachePrefix: prefix, env: { ADMIN_TOKEN, CACHE_BUS_DOWN_MAX_AGE: String(BUS_DOWN_MAX_AGE_S) } })
  await app.cache.start()
  return app
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  redis = await privateRedis()
  a = await instance()
  b = await instance()
}, 30_000)
afterAll(async () => {
  await a.cache.close()
  await b.cache.close()
  for (const c of clients) await closeRedis(c)
  await redis.stop()
  await db.drop()
})

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const me = (app: typeof a, token: string) => app.request('/auth/me', { headers: bearer(token) })
const meJson = async (app: typeof a, token: string) => (await (await me(app, token)).json()) as { role: string; plan: string }

/** Polls until `check` holds on `app`; the milliseconds it took. Fails past `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now()
  await until(check, limitMs, 'the change')
  return Date.now() - started
}

/** Once rejected, a credential stays rejected (nothing revives it). */
async function staysRejected(token: string) {
  for (let i = 0; i < 10; i++) {
    for (const app of [a, b]) expect((await me(app, token)).status).toBe(401)
    await Bun.sleep(10)
  }
}

/** What happens to Redis between warming the caches and the write. */
const BETWEEN: [string, () => Promise<void>][] = [
  ['nothing', async () => {}],
  [
    'a Redis restart',
    async () => {
      const before = [a.cache.stats.busResyncs, b.cache.stats.busResyncs]
      await redis.stop()
      await redis.start()
      await until(() => a.cache.stats.busResyncs > (before[0] ?? 0) && b.cache.stats.busResyncs > (before[1] ?? 0), 5000, 'both instances resynced')
    },
  ],
  ['FLUSHALL', async () => void redis.cli('FLUSHALL')],
]

/** Warms both instances' cached identity of `token` (before and after `between`), so the write must reach them. */
async function warmAcross(between: () => Promise<void>, token: string) {
  for (const app of [a, b]) expect((await me(app, token)).status).toBe(200)
  await between()
  for (const app of [a, b]) expect((await me(app, token)).status).toBe(200)
}

async function cli(...args: string[]) {
  const proc = Bun.spawn(['bun', MAIN, 'users', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, REDIS_URL: redis.url, CACHE_PREFIX: prefix, CACHE_VERSIONS_TTL: String(TEST_VERSIONS_TTL_SECONDS), LOG_LEVEL: 'error' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
  return stdout
}

describe.each(BETWEEN)('with %s between the last use and the change, it shows on the other instance within 1 s', (_, between) => {
  test('sign-out of a session', async () => {
    const { account } = await userWithKey(db.sql)
    const session = await createSession(db.sql, account.id, { userAgent: null, ip: null })
    await warmAcross(between, session.token)
    expect((await a.request('/auth/logout', { method: 'POST', headers: bearer(session.token) })).status).toBe(204)
    expect((await me(a, session.token)).status).toBe(401)
    expect(await within(1000, async () => (await me(b, session.token)).status === 401)).toBeLessThan(1000)
    await staysRejected(session.token)
  })

  test('sign-out everywhere', async () => {
    const { account } = await userWithKey(db.sql)
    const sessions = await Promise.all([1, 2].map(() => createSession(db.sql, account.id, { userAgent: null, ip: null })))
    for (const s of sessions) await warmAcross(between, s.token)
    expect((await a.request('/auth/logout?everywhere=true', { method: 'POST', headers: bearer(sessions[0]!.token) })).status).toBe(204)
    for (const s of sessions) {
      await within(1000, async () => (await me(b, s.token)).status === 401)
      await staysRejected(s.token)
    }
  })

  test('revocation of an API key, over HTTP and with `users revoke-keys`', async () => {
    const owner = await userWithKey(db.sql)
    const other = await userWithKey(db.sql, { email: `cli-${crypto.randomUUID()}@example.test` })
    await warmAcross(between, owner.key)
    await warmAcross(async () => {}, other.key)
    expect((await a.request(`/auth/api-keys/${owner.keyId}`, { method: 'DELETE', headers: bearer(owner.key) })).status).toBe(204)
    await within(1000, async () => (await me(b, owner.key)).status === 401)
    await staysRejected(owner.key)
    await cli('revoke-keys', '--email', other.account.email ?? '')
    await within(1000, async () => (await me(b, other.key)).status === 401)
    await staysRejected(other.key)
  })

  test('a plan change (admin route) and a role change (`users set-role`)', async () => {
    const user = await userWithKey(db.sql, { email: `roles-${crypto.randomUUID()}@example.test` })
    await warmAcross(between, user.key)
    expect(await meJson(b, user.key)).toMatchObject({ role: 'user', plan: 'free' })
    const plan = await a.request(`/admin/users/${user.account.id}/plan`, { method: 'POST', headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' }, body: '{"plan":"pro"}' })
    expect(plan.status).toBe(200)
    await within(1000, async () => (await meJson(b, user.key)).plan === 'pro')
    await cli('set-role', '--email', user.account.email ?? '', '--role', 'admin')
    await within(1000, async () => (await meJson(b, user.key)).role === 'admin')
    for (const app of [a, b]) expect(await meJson(app, user.key)).toMatchObject({ role: 'admin', plan: 'pro' })
  })
})

test(`with Redis down, the writer rejects at once and the other instance within CACHE_BUS_DOWN_MAX_AGE (${BUS_DOWN_MAX_AGE_S} s) + 1 s`, async () => {
  const { account, key, keyId } = await userWithKey(db.sql)
  const session = await createSession(db.sql, account.id, { userAgent: null, ip: null })
  for (const token of [key, session.token]) await warmAcross(async () => {}, token)
  await redis.stop()
  try {
    const stoppedAt = Date.now()
    expect((await a.request(`/auth/api-keys/${keyId}`, { method: 'DELETE', headers: bearer(key) })).status).toBe(204)
    expect((await a.request('/auth/logout', { method: 'POST', headers: bearer(session.token) })).status).toBe(204)
    expect((await me(a, key)).status).toBe(401)
    expect((await me(a, session.token)).status).toBe(401)
    const limit = (BUS_DOWN_MAX_AGE_S + 1) * 1000
    for (const token of [key, session.token]) await within(limit - (Date.now() - stoppedAt), async () => (await me(b, token)).status === 401)
    expect(Date.now() - stoppedAt).toBeLessThan(limit)
  } finally {
    await redis.start()
  }
  // Back up: the held invalidations are announced, and nothing comes back to life.
  await until(() => a.cache.settle(0), 5000, 'the invalidations announced')
  await staysRejected(key)
  await staysRejected(session.token)
})
