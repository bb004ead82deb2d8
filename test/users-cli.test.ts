import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { defaultCachePrefix } from '../src/cache/prefix.ts'
import { readDeploymentIdentity } from '../src/platform/deployment.ts'
import { closeRedis, type RedisClient } from '../src/platform/redis.ts'
import { testApp } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { connectedRedis, REDIS_URL, TEST_VERSIONS_TTL_SECONDS } from './support/redis.ts'

// `transcript-api users …` as a real process against the test database: `create` prints a working
// API key (the first admin of a fresh VM), and `revoke-keys` reaches a running server's cache
// through Redis. The server here derives the same default cache key prefix as the CLI (from the
// database's identity and the Redis database number), as in production.

const MAIN = join(import.meta.dir, '../src/main.ts')

let db: TestDatabase
let redis: RedisClient
let api: ReturnType<typeof testApp> | undefined

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false }) // the CLI migrates a fresh database itself
  redis = await connectedRedis()
}, 30_000)
afterAll(async () => {
  await api?.cache.close()
  await closeRedis(redis)
  await db.drop()
})

async function cli(...args: string[]) {
  const proc = Bun.spawn(['bun', MAIN, 'users', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, REDIS_URL, LOG_LEVEL: 'error', CACHE_VERSIONS_TTL: String(TEST_VERSIONS_TTL_SECONDS) },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { stdout, stderr, code, lastLine: stdout.trim().split('\n').at(-1) ?? '' }
}

/** The running server, started once the first command has migrated the database. */
async function server() {
  if (!api) {
    api = testApp(db.sql, { redis, cachePrefix: defaultCachePrefix(await readDeploymentIdentity(db.sql), REDIS_URL) })
    await api.cache.start()
  }
  return api
}

const me = async (key: string) => (await server()).request('/auth/me', { headers: { authorization: `Bearer ${key}` } })

describe('transcript-api users', () => {
  test('create prints a working API key; the user is an admin when asked', async () => {
    const out = await cli('create', '--email', 'Root@Example.test', '--role', 'admin', '--plan', 'pro')
    expect(out.code).toBe(0)
    expect(out.stdout).toContain('created user')
    expect(out.lastLine).toMatch(/^ta_[A-Za-z0-9_-]{43}$/)
    const res = await me(out.lastLine)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { user: { email: string }; role: string; plan: string; credential: { scopes: string[] } }
    expect(body).toMatchObject({ user: { email: 'root@example.test' }, role: 'admin', plan: 'pro' })
    expect(body.credential.scopes).toContain('admin')
    expect((await (await server()).request('/admin/users', { headers: { 'x-api-key': out.lastLine } })).status).toBe(200)

    const again = await cli('create', '--email', 'root@example.test')
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('users key --email')
  }, 30_000)

  test('list, key and revoke-keys; revocation reaches the running server at once', async () => {
    const created = await cli('create', '--email', 'ops@example.test')
    const second = await cli('key', '--email', 'ops@example.test')
    expect(second.code).toBe(0)
    for (const key of [created.lastLine, second.lastLine]) expect((await me(key)).status).toBe(200)
    expect((await me(created.lastLine)).status).toBe(200) // cached in the server's L1 now

    const list = await cli('list')
    expect(list.code).toBe(0)
    expect(list.stdout).toContain('ops@example.test')
    expect(list.stdout).toContain('root@example.test')
    expect(list.lastLine).toBe('2 users')

    const revoked = await cli('revoke-keys', '--email', 'ops@example.test')
    expect(revoked.code).toBe(0)
    expect(revoked.lastLine).toBe('revoked 2 API keys of ops@example.test')
    await Bun.sleep(100)
    for (const key of [created.lastLine, second.lastLine]) {
      const res = await me(key)
      expect(res.status).toBe(401)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('token_revoked')
    }
  }, 30_000)

  test('usage errors exit 2 with one line naming the problem', async () => {
    for (const [args, text] of [
      [[], 'expected a subcommand'],
      [['create', '--email', 'x@example.test', '--role', 'root'], '--role must be one of user, admin'],
      [['revoke-keys', '--email', 'nobody@example.test'], 'no user with email'],
    ] as const) {
      const out = await cli(...args)
      expect({ args, code: out.code }).toEqual({ args, code: 2 })
      expect(out.stderr).toContain(text)
    }
  }, 30_000)
})
