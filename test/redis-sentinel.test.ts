import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { patchTitle, readTitle, reportStale, startFleetLoad, titleOf } from './support/fleet-load.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { TEST_VERSIONS_TTL_SECONDS, uniquePrefix } from './support/redis.ts'
import { privateSentinels } from './support/redis-topologies.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'
import { until } from './support/until.ts'

// Redis behind Sentinel, for real: a primary, a replica and three redis-sentinel processes of the
// test's own, two server processes configured with REDIS_SENTINELS under read/write load. The replica
// is cut off for a moment (so it misses the last writes' versions), then the primary is SIGKILLed and
// the sentinels promote the replica. No request may fail (L2 faults fall back to L1 and the database),
// no read may return a title older than an acknowledged write beyond CACHE_BUS_DOWN_MAX_AGE + 1 s
// while it happens, the instances must detect that the new primary's versions went back in time
// (a new epoch), and afterwards a write on one instance is seen on the other within 100 ms again.

const ADMIN_TOKEN = 'admin-token-for-sentinel-tests-0123456789'
const MAIN = join(import.meta.dir, '../src/main.ts')
const BUS_DOWN_MAX_AGE_S = 1

let db: TestDatabase
let redis: Awaited<ReturnType<typeof privateSentinels>>
let servers: ServerProcess[] = []
let videoId: string

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  const [row] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id, title, state) VALUES ('sentinel001', ${titleOf(0)}, 'completed') RETURNING id`
  videoId = (row as { id: string }).id
  redis = await privateSentinels()
  const env = {
    DATABASE_URL: db.url,
    REDIS_SENTINELS: redis.sentinelList,
    REDIS_SENTINEL_NAME: redis.name,
    ADMIN_TOKEN,
    CACHE_PREFIX: uniquePrefix(),
    CACHE_VERSIONS_TTL: String(TEST_VERSIONS_TTL_SECONDS),
    CACHE_BUS_DOWN_MAX_AGE: String(BUS_DOWN_MAX_AGE_S),
    // The load is one client: the cached reads' per-IP limit would refuse it. Writes still go
    // through the fleet-wide limiter in Redis (rate-limiter-flexible on the sentinel client).
    RATE_LIMIT_PUBLIC_READ: '0',
    RATE_LIMIT_WRITE: '100000/60',
    LOG_LEVEL: 'info',
  }
  servers = await Promise.all([0, 1].map(() => startServer(['bun', MAIN, 'serve'], { env })))
}, 60_000)

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
  await redis?.stop()
  await db?.drop()
})

const stats = async (s: ServerProcess) =>
  (await (await fetch(`${s.baseUrl}/admin/cache/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
    available: boolean
    bus: { trusted: boolean; resets_detected: number }
  }

test('a failover under load: no failed request, the new epoch is detected, invalidations flow again', async () => {
  const [a, b] = servers as [ServerProcess, ServerProcess]
  expect((await stats(a)).available).toBe(true)
  const load = startFleetLoad({ servers, videoId, adminToken: ADMIN_TOKEN })
  let killedAt = 0
  let promotedAt = 0
  let flowingAt = 0
  try {
    await Bun.sleep(1500)
    expect((await stats(b)).bus.trusted).toBe(true)
    // The replica stops replicating: frozen, and its link cut by the primary (what the primary had
    // sent before still reaches it from the socket buffers); the writes of the next 300 ms reach only
    // the primary.
    const frozenAt = Date.now()
    redis.replica.pause()
    expect(Number(redis.primary.cli('client', 'kill', 'type', 'replica'))).toBe(1)
    await Bun.sleep(300)
    await redis.primary.kill()
    killedAt = Date.now()
    redis.replica.resume()
    await until(() => redis.primaryPort() === redis.replica.port, 15_000, 'the sentinels naming the replica as primary')
    promotedAt = Date.now()
    // A write on A seen by B within 100 ms again, tried every 200 ms.
    await until(
      () =>
        load.alone(0, async (n) => {
          const res = await patchTitle(a, videoId, ADMIN_TOKEN, titleOf(n))
          const ackedAt = res.status === 200 ? Date.now() : undefined
          await Bun.sleep(100)
          const seen = ackedAt !== undefined && (await readTitle(b, videoId)).title === titleOf(n)
          if (!seen) await Bun.sleep(100)
          return { ackedAt, result: seen }
        }),
      15_000,
      'a write on A seen by B within 100 ms',
    )
    flowingAt = Date.now()
    await Bun.sleep(1000)
    const result = await load.stop()
    const [sa, sb] = await Promise.all([stats(a), stats(b)])
    console.log(
      `sentinel failover: frozen replica ${killedAt - frozenAt} ms before the kill; promoted ${promotedAt - killedAt} ms after it; ` +
        `invalidations flowing ${flowingAt - killedAt} ms after it; ${result.reads} reads, ${result.writes} writes, ${result.failures.length} failed; ` +
        `resets detected ${sa.bus.resets_detected}/${sb.bus.resets_detected}`,
    )
    expect(result.failures).toEqual([])
    expect(result.writes).toBeGreaterThan(20)
    // The new primary had the versions of before the freeze: both instances saw a new epoch begin.
    expect(sa.bus.resets_detected).toBeGreaterThanOrEqual(1)
    expect(sb.bus.resets_detected).toBeGreaterThanOrEqual(1)
    expect(sa.bus.trusted && sb.bus.trusted).toBe(true)
    const marks = { frozen: frozenAt, killed: killedAt, promoted: promotedAt, flowing: flowingAt }
    // No server ever serves a title older than one it acknowledged itself, bus or no bus.
    expect(reportStale(result.ownStaleReads(), marks)).toEqual([])
    // The stated bounds, over the whole history: 100 ms while healthy, the bus-down bound + 1 s while it fails over.
    expect(reportStale(result.staleReads(BUS_DOWN_MAX_AGE_S * 1000 + 1000), marks)).toEqual([])
    expect(reportStale(result.staleReads(100, [[frozenAt, flowingAt]]), marks)).toEqual([])
  } finally {
    await load.stop()
  }
}, 45_000)
