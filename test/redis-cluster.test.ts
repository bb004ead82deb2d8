import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { patchTitle, readTitle, reportStale, startFleetLoad, titleOf } from './support/fleet-load.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { TEST_VERSIONS_TTL_SECONDS, uniquePrefix } from './support/redis.ts'
import { privateCluster } from './support/redis-topologies.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'
import { until } from './support/until.ts'

// Redis Cluster, for real: redis-server nodes of the test's own joined by `redis-cli --cluster
// create`, two server processes configured with REDIS_CLUSTER_NODES. The versions hash, the bus
// channel and the heartbeat channels share one slot (a hash tag); values spread over all slots.
// Checked: a write on one instance is seen on the other within 100 ms, the second instance hits L2,
// and under read/write load no request fails while the primary of the versions' slot is killed
// (its replica takes over), while that slot migrates to another primary, or, with no replicas,
// while a primary is gone for good (values of its slots come from the database).

const ADMIN_TOKEN = 'admin-token-for-cluster-tests-0123456789'
const MAIN = join(import.meta.dir, '../src/main.ts')
const BUS_DOWN_MAX_AGE_S = 1

const databases: TestDatabase[] = []
afterAll(async () => {
  for (const d of databases) await d.drop()
})

/** A cluster, a database with one video, and two servers on them. */
async function fleet(masters: number, replicasPerMaster: number) {
  const db = await createTestDatabase({ migrated: true })
  databases.push(db)
  const [row] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id, title, state) VALUES ('cluster0001', ${titleOf(0)}, 'completed') RETURNING id`
  const [other] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id, title, state) VALUES ('cluster0002', 'another', 'completed') RETURNING id`
  const cluster = await privateCluster(masters, replicasPerMaster)
  const prefix = uniquePrefix()
  const env = {
    DATABASE_URL: db.url,
    REDIS_CLUSTER_NODES: cluster.nodeList,
    ADMIN_TOKEN,
    CACHE_PREFIX: prefix,
    CACHE_VERSIONS_TTL: String(TEST_VERSIONS_TTL_SECONDS),
    CACHE_BUS_DOWN_MAX_AGE: String(BUS_DOWN_MAX_AGE_S),
    CACHE_DISTRIBUTED_LOCK: 'true',
    // The load is one client: the cached reads' per-IP limit would refuse it. Writes still go
    // through the fleet-wide limiter in Redis (rate-limiter-flexible on the cluster client).
    RATE_LIMIT_PUBLIC_READ: '0',
    RATE_LIMIT_WRITE: '100000/60',
    LOG_LEVEL: 'info',
  }
  let servers: ServerProcess[] = []
  try {
    servers = await Promise.all([0, 1].map(() => startServer(['bun', MAIN, 'serve'], { env })))
  } catch (err) {
    await cluster.stop()
    throw err
  }
  return {
    cluster,
    servers: servers as [ServerProcess, ServerProcess],
    videoId: (row as { id: string }).id,
    otherId: (other as { id: string }).id,
    /** The key the versions live under, as src/cache/keys.ts names it in a cluster. */
    versionsKey: `{${prefix}}:versions`,
    /** Keys of the deployment matching `pattern` (after the prefix) on every primary. */
    keys: (pattern: string) =>
      cluster.nodes.filter((n) => n.cli('role').startsWith('master')).flatMap((n) => n.cli('--scan', '--pattern', `${prefix}${pattern}`).split('\n').filter((k) => k !== '')),
    async stop() {
      await Promise.all(servers.map((s) => s.stop()))
      await cluster.stop()
    },
  }
}

const stats = async (s: ServerProcess) =>
  (await (await fetch(`${s.baseUrl}/admin/cache/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
    available: boolean
    total_keys: number | null
    bus: { trusted: boolean; resets_detected: number }
  }

/** Tries "a write on A is seen by B within 100 ms" every 200 ms until it holds. */
function untilInvalidationsFlow(f: Awaited<ReturnType<typeof fleet>>, load: ReturnType<typeof startFleetLoad>, timeoutMs: number) {
  const [a, b] = f.servers
  return until(
    () =>
      load.alone(0, async (n) => {
        const res = await patchTitle(a, f.videoId, ADMIN_TOKEN, titleOf(n))
        const ackedAt = res.status === 200 ? Date.now() : undefined
        await Bun.sleep(100)
        const seen = ackedAt !== undefined && (await readTitle(b, f.videoId)).title === titleOf(n)
        if (!seen) await Bun.sleep(100)
        return { ackedAt, result: seen }
      }),
    timeoutMs,
    'a write on A seen by B within 100 ms',
  )
}

describe('3 primaries with a replica each', () => {
  let f: Awaited<ReturnType<typeof fleet>>
  beforeAll(async () => {
    f = await fleet(3, 1)
  }, 60_000)
  afterAll(async () => {
    await f?.stop()
  })

  test('a write on one instance is seen by the other within 100 ms; the other hits L2', async () => {
    const [a, b] = f.servers
    await until(async () => (await stats(a)).bus.trusted && (await stats(b)).bus.trusted, 5000, 'both buses trusted')
    for (let i = 1; i <= 3; i++) {
      expect((await readTitle(b, f.videoId)).status).toBe(200)
      expect((await patchTitle(a, f.videoId, ADMIN_TOKEN, `direct-${i}`)).status).toBe(200)
      await Bun.sleep(100)
      expect((await readTitle(b, f.videoId)).title).toBe(`direct-${i}`)
    }
    expect((await readTitle(a, f.otherId)).cache).toBe('MISS')
    await Bun.sleep(100) // A writes L2 after it answers
    expect((await readTitle(b, f.otherId)).cache).toBe('HIT-L2')
    // Values spread over the primaries: more than one of them holds keys of the deployment.
    const holding = f.cluster.nodes.filter((n) => n.cli('role').startsWith('master') && Number(n.cli('dbsize')) > 0)
    expect(holding.length).toBeGreaterThan(1)
    expect((await stats(a)).available).toBe(true)
    // The writes were counted in the cluster (fleet-wide), not by each instance's in-memory insurance.
    expect(f.keys(':rl:write:*').length).toBeGreaterThan(0)
  }, 20_000)

  test('the versions slot migrates to another primary under load: 0 failed requests, invalidations follow it', async () => {
    const load = startFleetLoad({ servers: f.servers, videoId: f.videoId, adminToken: ADMIN_TOKEN })
    try {
      await Bun.sleep(1000)
      const movedAt = Date.now()
      const to = f.cluster.migrateSlotOf(f.versionsKey)
      expect(f.cluster.masterOf(f.versionsKey)?.port).toBe(to.port)
      await untilInvalidationsFlow(f, load, 10_000)
      const flowingAt = Date.now()
      await Bun.sleep(1000)
      const result = await load.stop()
      console.log(`cluster slot migration: invalidations flowing ${flowingAt - movedAt} ms after it began; ${result.reads} reads, ${result.writes} writes, ${result.failures.length} failed`)
      expect(result.failures).toEqual([])
      const marks = { moved: movedAt, flowing: flowingAt }
      expect(reportStale(result.ownStaleReads(), marks)).toEqual([])
      expect(reportStale(result.staleReads(BUS_DOWN_MAX_AGE_S * 1000 + 1000), marks)).toEqual([])
      expect(reportStale(result.staleReads(100, [[movedAt, flowingAt]]), marks)).toEqual([])
    } finally {
      await load.stop()
    }
  }, 30_000)

  test('the primary of the versions slot is killed under load: 0 failed requests, its replica takes over', async () => {
    const load = startFleetLoad({ servers: f.servers, videoId: f.videoId, adminToken: ADMIN_TOKEN })
    try {
      await Bun.sleep(1000)
      const victim = f.cluster.masterOf(f.versionsKey)
      if (!victim) throw new Error('no primary serves the versions slot')
      await victim.kill()
      const killedAt = Date.now()
      await until(() => (f.cluster.masterOf(f.versionsKey)?.port ?? victim.port) !== victim.port, 15_000, 'a replica serving the versions slot')
      const promotedAt = Date.now()
      await untilInvalidationsFlow(f, load, 15_000)
      const flowingAt = Date.now()
      await Bun.sleep(1000)
      const result = await load.stop()
      console.log(
        `cluster failover: replica promoted ${promotedAt - killedAt} ms after the kill; invalidations flowing ${flowingAt - killedAt} ms after it; ` +
          `${result.reads} reads, ${result.writes} writes, ${result.failures.length} failed`,
      )
      expect(result.failures).toEqual([])
      expect(result.writes).toBeGreaterThan(20)
      const marks = { killed: killedAt, promoted: promotedAt, flowing: flowingAt }
      expect(reportStale(result.ownStaleReads(), marks)).toEqual([])
      expect(reportStale(result.staleReads(BUS_DOWN_MAX_AGE_S * 1000 + 1000), marks)).toEqual([])
      expect(reportStale(result.staleReads(100, [[killedAt, flowingAt]]), marks)).toEqual([])
    } finally {
      await load.stop()
    }
  }, 45_000)
})

describe('3 primaries without replicas', () => {
  let f: Awaited<ReturnType<typeof fleet>>
  beforeAll(async () => {
    f = await fleet(3, 0)
  }, 60_000)
  afterAll(async () => {
    await f?.stop()
  })

  test('a primary is gone for good under load: 0 failed requests (the database answers), stale reads within the bus-down bound', async () => {
    const [a, b] = f.servers
    await until(async () => (await stats(a)).bus.trusted && (await stats(b)).bus.trusted, 5000, 'both buses trusted')
    const load = startFleetLoad({ servers: f.servers, videoId: f.videoId, adminToken: ADMIN_TOKEN })
    try {
      await Bun.sleep(1000)
      // The versions' primary: with its slots uncovered the cluster refuses every command (CLUSTERDOWN).
      await f.cluster.masterOf(f.versionsKey)?.kill()
      const killedAt = Date.now()
      await Bun.sleep(4000)
      const result = await load.stop()
      const [sa, sb] = await Promise.all([stats(a), stats(b)])
      console.log(`cluster without replicas, a primary killed: ${result.reads} reads, ${result.writes} writes, ${result.failures.length} failed; buses trusted ${sa.bus.trusted}/${sb.bus.trusted}`)
      expect(result.failures).toEqual([])
      expect(result.writes).toBeGreaterThan(20)
      expect(sa.bus.trusted || sb.bus.trusted).toBe(false)
      const marks = { killed: killedAt }
      expect(reportStale(result.ownStaleReads(), marks)).toEqual([])
      expect(reportStale(result.staleReads(BUS_DOWN_MAX_AGE_S * 1000 + 1000), marks)).toEqual([])
      expect(reportStale(result.staleReads(100, [[killedAt, Number.POSITIVE_INFINITY]]), marks)).toEqual([])
    } finally {
      await load.stop()
    }
  }, 30_000)
})
