import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { EventBatcher } from '../src/modules/events/batcher.ts'
import { createPool } from '../src/platform/db.ts'
import { testTimed } from './support/app.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'

// The in-memory batcher behind background usage events (signed-in searches, exempt exports).

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
}, 30_000)
afterAll(async () => {
  await db.drop()
})

const count = async (type: string) => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM events WHERE type = ${type}`)[0]?.n

describe('EventBatcher', () => {
  test('a full batch is written at once, one multi-row INSERT per 100 events, keeping each event’s time', async () => {
    const b = new EventBatcher(db.sql, quietLog, testTimed(), { flushIntervalMs: 60_000 })
    const at = '2025-03-04T05:06:07.000Z'
    for (let i = 0; i < 250; i++) b.record({ user_id: null, session_id: null, type: 'batch_a', payload: { i }, created_at: i === 0 ? at : undefined })
    await b.flush()
    expect(b.stats).toMatchObject({ recorded: 250, written: 250, flushes: 3, dropped: 0 })
    expect(await count('batch_a')).toBe(250)
    const [first] = await db.sql<{ created_at: Date }[]>`SELECT created_at FROM events WHERE type = 'batch_a' AND payload->>'i' = '0'`
    expect(first?.created_at.toISOString()).toBe(at)
  })

  test('a partial batch waits for the interval; close() writes what is left and refuses more', async () => {
    const b = new EventBatcher(db.sql, quietLog, testTimed(), { flushIntervalMs: 50 })
    b.record({ user_id: null, session_id: null, type: 'batch_b', payload: {} })
    expect(await count('batch_b')).toBe(0)
    for (let i = 0; i < 100 && (await count('batch_b')) === 0; i++) await Bun.sleep(10)
    expect(await count('batch_b')).toBe(1)
    b.record({ user_id: null, session_id: null, type: 'batch_b', payload: {} })
    await b.close()
    expect(await count('batch_b')).toBe(2)
    b.record({ user_id: null, session_id: null, type: 'batch_b', payload: {} })
    expect(b.stats.dropped).toBe(1)
  })

  test('a failing database drops the batch with a warning; record() never throws', async () => {
    const broken = createPool('postgres://postgres@127.0.0.1:1/nothing', { max: 1, applicationName: 'broken' })
    const b = new EventBatcher(broken, quietLog, testTimed(), { maxPending: 3 })
    for (let i = 0; i < 5; i++) b.record({ user_id: null, session_id: null, type: 'batch_c', payload: {} })
    await b.close()
    expect(b.stats).toMatchObject({ recorded: 3, written: 0, dropped: 5 })
    await broken.end({ timeout: 1 })
  })
})
