import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { jsonCodec } from '../src/cache/json-codec.ts'
import { ReplicaReads } from '../src/cache/replica-reads.ts'
import { TieredCache } from '../src/cache/tiered-cache.ts'
import { createPool, type Sql } from '../src/platform/db.ts'
import { ReplicaSet } from '../src/platform/replica-set.ts'
import { capturingLog, quietLog } from './support/postgres.ts'
import { privatePostgres, privateReplica, type PrivatePostgres, type PrivateReplica } from './support/private-postgres.ts'
import { cacheOptions } from './support/redis.ts'
import { until } from './support/until.ts'

// The replica monitor and causal fills against a real streaming replica that applies each commit
// 2 s late (recovery_min_apply_delay), on a private primary: lag past DB_REPLICA_MAX_LAG_MS takes
// the replica out of rotation; a fill of a scope written since goes to the primary while the
// replica still has the old row, and fills of other scopes keep using the replica. Without Redis:
// one instance, local version tracking.

const APPLY_DELAY_MS = 2000

let primary: PrivatePostgres
let replica: PrivateReplica
let sql: Sql

beforeAll(async () => {
  primary = await privatePostgres()
  sql = createPool(primary.url, { max: 2, applicationName: 'transcript-api test' })
  await sql`CREATE TABLE items (id int PRIMARY KEY, title text NOT NULL)`
  await sql`INSERT INTO items VALUES (1, 'old'), (2, 'cold'), (3, 'cold')`
  replica = await privateReplica(primary, `${APPLY_DELAY_MS}ms`)
}, 30_000)
afterAll(async () => {
  await sql?.end({ timeout: 1 })
  await replica?.destroy()
  await primary?.destroy()
})

const replicaSet = (maxLagMs: number, log = quietLog) => new ReplicaSet({ primaryUrl: primary.url, urls: [replica.url], maxLagMs, poolMax: 2, poolMode: 'session', log })
const titleOn = async (url: string, id: number) => {
  const db = createPool(url, { max: 1, applicationName: 'transcript-api test' })
  try {
    return ((await db<{ title: string }[]>`SELECT title FROM items WHERE id = ${id}`)[0] as { title: string }).title
  } finally {
    await db.end({ timeout: 1 })
  }
}

describe('the replica monitor', () => {
  test('a replica behind by more than DB_REPLICA_MAX_LAG_MS leaves the rotation, and returns once it has caught up', async () => {
    const { log, lines } = capturingLog('info')
    const set = replicaSet(500, log)
    const [r] = set.replicas as [ReplicaSet['replicas'][number]]
    try {
      await set.start()
      await until(() => r.inRotation, 3000, 'the idle replica in rotation')
      const wrote = Date.now()
      await sql`INSERT INTO items VALUES (100, 'lag probe')`
      await until(() => r.status === 'lagging', 2000, 'the replica out of rotation for lag')
      const out = Date.now() - wrote
      await until(() => r.inRotation, 5000, 'the replica back once caught up')
      const back = Date.now() - wrote
      // Out once the write is 500 ms old (to within a poll), back only once the 2 s delay has passed.
      expect(out).toBeGreaterThanOrEqual(450)
      expect(out).toBeLessThan(APPLY_DELAY_MS)
      expect(back).toBeGreaterThanOrEqual(APPLY_DELAY_MS - 100)
      expect(lines.some((l) => l.msg.includes('out of rotation') && l.status === 'lagging')).toBe(true)
      expect(lines.some((l) => l.msg.includes('back in rotation'))).toBe(true)
      console.log(`lag > 500 ms: out of rotation ${out} ms after the write, back after ${back} ms`)
    } finally {
      await set.close()
    }
  }, 15_000)
})

/** A cache without Redis, and fills through `reads` (a replica deadline of `deadlineMs`) of `items` rows. */
function itemReads(deadlineMs?: number) {
  const cache = new TieredCache(cacheOptions(), undefined, quietLog)
  const set = replicaSet(10_000)
  const reads = new ReplicaReads(sql, set, cache, quietLog, deadlineMs)
  const codec = jsonCodec<string>('item')
  const read = (id: number, key = String(id)) =>
    cache.getOrLoad({ type: 'item', key, scopes: [`item:${id}`], ttlSeconds: 60, codec }, (fill) =>
      reads.run(fill, async (db) => ((await db<{ title: string }[]>`SELECT title FROM items WHERE id = ${id}`)[0] as { title: string }).title),
    )
  return {
    cache,
    set,
    reads,
    read,
    async start() {
      await cache.start()
      await set.start()
      const r = set.replicas[0] as ReplicaSet['replicas'][number]
      await until(() => r.inRotation, 3000, 'the replica in rotation')
      // Fills wait for the startup floor (the primary's position when the reads were made, read at
      // once), and it covers the previous test's last write: the replica applies that commit only
      // APPLY_DELAY_MS after it was made, and the monitor sees it at its next poll. Each test starts
      // once the replica has replayed everything the primary had now (so also the floor, read earlier
      // on the same connection), instead of racing that write's delay against the first fill.
      const written = await set.primaryLsn()
      await until(() => r.replayed >= written, APPLY_DELAY_MS + 1000, 'the replica caught up with the earlier writes')
      let warmUps = 0
      await until(async () => (await read(2, `warm-up-${warmUps++}`)).value === 'cold' && reads.counts.get('replica') === 1, 2000, 'a first fill from the replica')
    },
    async close() {
      reads.close()
      await set.close()
      await cache.close()
    },
  }
}

describe('causal fills on one instance without Redis', () => {
  test('a written scope fills from the primary while the replica lacks the write; other scopes use the replica', async () => {
    const { cache, reads, read, start, close } = itemReads()
    try {
      await start()
      const onReplica = () => reads.counts.get('replica')
      const onPrimary = () => (reads.counts.get('replica_behind') ?? 0) + (reads.counts.get('position_unknown') ?? 0)
      const primaryBefore = onPrimary()

      expect((await read(1)).value).toBe('old')
      expect(onReplica()).toBe(2)

      await sql`UPDATE items SET title = 'new' WHERE id = 1`
      await cache.invalidate(['item:1'])
      // The trap: the replica still answers the old row ...
      expect(await titleOn(replica.url, 1)).toBe('old')
      // ... but the fill after the write does not ask it.
      expect((await read(1)).value).toBe('new')
      expect(onPrimary()).toBe(primaryBefore + 1)
      // A scope nobody wrote still reads the replica meanwhile.
      expect((await read(3)).value).toBe('cold')
      expect(onReplica()).toBe(3)
    } finally {
      await close()
    }
  }, 15_000)

  test('a hung replica: the fill is answered by the primary after the replica deadline, and the replica leaves the rotation', async () => {
    const { set, reads, read, start, close } = itemReads(300)
    try {
      await start()
      await replica.pause()
      const asked = Date.now()
      expect((await read(3, 'while hung')).value).toBe('cold')
      const ms = Date.now() - asked
      expect(ms).toBeGreaterThanOrEqual(300)
      expect(ms).toBeLessThan(1500)
      expect(reads.counts.get('replica_failed')).toBe(1)
      expect((set.replicas[0] as { status: string }).status).toBe('unreachable')
      console.log(`hung replica: fill answered by the primary after ${ms} ms`)
    } finally {
      await replica.resume()
      await close()
    }
  }, 15_000)
})
