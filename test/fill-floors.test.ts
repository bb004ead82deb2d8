import { afterAll, describe, expect, test } from 'bun:test'
import { FillFloors } from '../src/cache/fill-floors.ts'
import { createPool } from '../src/platform/db.ts'
import { parseLsn, PRIMARY_LSN_SQL } from '../src/platform/lsn.ts'
import { ReplicaLag } from '../src/platform/replica-lag.ts'
import { ADMIN_URL, quietLog } from './support/postgres.ts'
import { freePort } from './support/private-postgres.ts'
import { until } from './support/until.ts'

// The floors a fill must see, read from a real primary (the shared server: a read-only query of
// its WAL position), and the lag arithmetic of the replica monitor.

const sql = createPool(ADMIN_URL, { max: 2, applicationName: 'transcript-api test' })
afterAll(() => sql.end({ timeout: 1 }))

/** The primary's position, counting the reads. */
function counted(query = async () => parseLsn(((await sql.unsafe<{ lsn: string }[]>(PRIMARY_LSN_SQL))[0] as { lsn: string }).lsn)) {
  const source = { reads: 0, read: () => (source.reads++, query()) }
  return source
}

describe('fill floors', () => {
  test('every scope waits at first; a moved scope waits until the position after the move is read', async () => {
    const source = counted()
    const floors = new FillFloors(source.read, quietLog)
    try {
      expect(floors.required(['a'])).toBeUndefined()
      await until(() => floors.required(['a']) !== undefined, 2000, 'the startup floor')
      const start = floors.required(['a']) as bigint
      expect(floors.required(['b', 'c'])).toBe(start)
      floors.moved(['a'])
      expect(floors.required(['a'])).toBeUndefined()
      expect(floors.required(['a', 'b'])).toBeUndefined()
      expect(floors.required(['b'])).toBe(start)
      await until(() => floors.required(['a']) !== undefined, 2000, "a's floor")
      expect(floors.required(['a']) as bigint).toBeGreaterThanOrEqual(start)
      // 'all' (a new epoch, a resync): every scope waits, then shares one floor.
      floors.moved('all')
      expect(floors.required(['b'])).toBeUndefined()
      await until(() => floors.required(['b']) !== undefined, 2000, 'the floor of every scope')
      expect(floors.required(['b'])).toBe(floors.required(['a']) as bigint)
    } finally {
      floors.close()
    }
  })

  test('a burst of moves shares two reads: the one it started, and one for every mark made meanwhile', async () => {
    const source = counted()
    const floors = new FillFloors(source.read, quietLog)
    try {
      await until(() => floors.required([]) !== undefined, 2000, 'the startup floor')
      const before = source.reads
      for (let i = 0; i < 1000; i++) floors.moved([`s${i % 50}`])
      await until(() => floors.required(Array.from({ length: 50 }, (_, i) => `s${i}`)) !== undefined, 2000, 'every floor')
      expect(source.reads - before).toBeLessThanOrEqual(2)
    } finally {
      floors.close()
    }
  })

  test('while the primary cannot be read, moved scopes keep waiting (fills go to the primary); they settle once it answers', async () => {
    const down = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, { max: 1, applicationName: 'transcript-api test' })
    let reachable = false
    const source = counted(async () => {
      const db = reachable ? sql : down
      return parseLsn(((await db.unsafe<{ lsn: string }[]>(PRIMARY_LSN_SQL))[0] as { lsn: string }).lsn)
    })
    const floors = new FillFloors(source.read, quietLog)
    try {
      await until(() => source.reads >= 3, 2000, 'retries')
      expect(floors.required(['a'])).toBeUndefined()
      floors.moved(['a'])
      reachable = true
      await until(() => floors.required(['a']) !== undefined, 2000, 'floors once the primary answers')
    } finally {
      floors.close()
      await down.end({ timeout: 0 })
    }
  })
})

describe('replica lag', () => {
  test("is how long ago the primary first reached a position the replica lacks; 0 when it has the newest; infinite past the window", () => {
    const lag = new ReplicaLag(1000)
    lag.sample(100n, 0)
    lag.sample(100n, 150) // unchanged: still first seen at 0
    lag.sample(200n, 300)
    expect(lag.lagMs(200n, 400)).toBe(0)
    expect(lag.lagMs(150n, 400)).toBe(100)
    expect(lag.lagMs(99n, 400)).toBe(400)
    lag.sample(300n, 1500) // 100 and 200 fall out of the 1 s window
    expect(lag.lagMs(300n, 1500)).toBe(0)
    expect(lag.lagMs(250n, 1600)).toBe(100)
    expect(lag.lagMs(150n, 1600)).toBe(Number.POSITIVE_INFINITY)
  })
})
