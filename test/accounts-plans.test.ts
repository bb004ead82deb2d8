import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type postgres from 'postgres'
import { listUsersQuery } from '../src/modules/admin/queries.ts'
import { countTodayQuery, listEventsQuery } from '../src/modules/events/queries.ts'
import { listFavoritesQuery } from '../src/modules/favorites/queries.ts'
import { planNodes, type PlanNode } from './support/explain.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// The plans of the account queries on tables large enough that the planner would scan them without
// an index: the export quota count, favorites, the admin lists, and sign-out everywhere.

const USERS = 20_000
const EVENTS = 150_000
const FAVORITES = 50_000
const SESSIONS = 20_000

let db: TestDatabase
let userId: string
let middle: { favKey: string; favId: string; userKey: string; userEmail: string; userIdMid: string; eventId: string }

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  const sql = db.sql
  await sql`INSERT INTO videos (youtube_id) SELECT 'plan' || i FROM generate_series(1, 50) AS i`
  await sql`
    INSERT INTO users (email, created_at)
    SELECT 'user' || i || '@example.test', now() - i * interval '1 minute' FROM generate_series(1, ${USERS}) AS i`
  // Events of 2,000 users over 30 days; exports are one type in four. 'rare' is one in a thousand.
  await sql`
    INSERT INTO events (user_id, type, payload, created_at)
    SELECT u.id, CASE WHEN i % 1000 = 0 THEN 'rare' ELSE (ARRAY['export', 'search', 'page_view', 'tick'])[i % 4 + 1] END, '{}',
           now() - (i % 720) * interval '1 hour'
    FROM generate_series(1, ${EVENTS}) AS i
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users) u ON u.n = i % 2000 + 1`
  await sql`
    INSERT INTO favorites (user_id, video_id, start_ms, end_ms, created_at)
    SELECT u.id, (SELECT id FROM videos ORDER BY id LIMIT 1), i, i, now() - i * interval '1 second'
    FROM generate_series(1, ${FAVORITES}) AS i
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users) u ON u.n = i % 100 + 1`
  await sql`
    INSERT INTO sessions (user_id, token_hash, expires_at)
    SELECT u.id, md5(i::text), now() + interval '1 day'
    FROM generate_series(1, ${SESSIONS}) AS i
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users) u ON u.n = i % ${USERS} + 1`
  // Index-only scans need the visibility map: as autovacuum would have it on a live table.
  await sql.unsafe('VACUUM ANALYZE users, events, favorites, sessions, videos')
  const [u] = await sql<{ id: string }[]>`SELECT user_id AS id FROM events WHERE type = 'export' GROUP BY user_id ORDER BY user_id LIMIT 1`
  userId = u?.id ?? ''
  const [f] = await sql<{ key: string; id: string }[]>`
    SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key, id::text FROM favorites WHERE user_id = ${userId} ORDER BY created_at DESC OFFSET 40 LIMIT 1`
  const [m] = await sql<{ key: string; id: string; email: string }[]>`
    SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key, id::text, email FROM users ORDER BY created_at DESC OFFSET ${USERS / 2} LIMIT 1`
  const [e] = await sql<{ id: string }[]>`SELECT id::text FROM events ORDER BY id OFFSET ${EVENTS / 2} LIMIT 1`
  middle = { favKey: f?.key ?? '', favId: f?.id ?? '', userKey: m?.key ?? '', userEmail: m?.email ?? '', userIdMid: m?.id ?? '', eventId: e?.id ?? '' }
}, 120_000)
afterAll(async () => {
  await db.drop()
})

const planOf = <T extends readonly object[]>(query: postgres.PendingQuery<T>) => planNodes(db.sql, query)

function expectIndex(plan: PlanNode[], index: string, opts: { noSort?: boolean } = {}) {
  const scan = plan.find((n) => n['Index Name'] === index)
  expect({ index: scan?.['Index Name'], scan: scan?.['Node Type'] }).toMatchObject({ index })
  expect(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']).toContain(scan?.['Node Type'] ?? 'none')
  expect(plan.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'])).toEqual([])
  if (opts.noSort) expect(plan.filter((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort')).toEqual([])
}

describe('query plans of the account queries', () => {
  test('the tables are big enough that the planner would otherwise scan them', async () => {
    const rows = await db.sql<{ relname: string; n: number }[]>`
      SELECT relname, reltuples::int AS n FROM pg_class WHERE relname IN ('events', 'favorites', 'users', 'sessions') ORDER BY relname`
    expect(Object.fromEntries(rows.map((r) => [r.relname, r.n]))).toEqual({ events: EVENTS, favorites: FAVORITES, sessions: SESSIONS, users: USERS })
  })

  test('export quota: today’s exports of one user, counted from events_user_type_created_idx alone', async () => {
    const plan = await planOf(countTodayQuery(db.sql, userId, 'export'))
    expectIndex(plan, 'events_user_type_created_idx')
    expect(plan.find((n) => n['Index Name'] === 'events_user_type_created_idx')?.['Node Type']).toBe('Index Only Scan')
  })

  test('GET /favorites: favorites_user_created_idx in order, first page and from a cursor', async () => {
    expectIndex(await planOf(listFavoritesQuery(db.sql, userId, 20, undefined)), 'favorites_user_created_idx', { noSort: true })
    expectIndex(await planOf(listFavoritesQuery(db.sql, userId, 20, [middle.favKey, middle.favId])), 'favorites_user_created_idx', { noSort: true })
  })

  test('GET /admin/users: users_created_id_idx in order; by email users_email_idx', async () => {
    expectIndex(await planOf(listUsersQuery(db.sql, { email: undefined, limit: 50, after: undefined })), 'users_created_id_idx', { noSort: true })
    expectIndex(await planOf(listUsersQuery(db.sql, { email: undefined, limit: 50, after: [middle.userKey, middle.userIdMid] })), 'users_created_id_idx', { noSort: true })
    expectIndex(await planOf(listUsersQuery(db.sql, { email: middle.userEmail, limit: 50, after: undefined })), 'users_email_idx')
  })

  test('GET /admin/events: primary key backwards; events_user_id_idx by user; events_type_id_idx by a rare type', async () => {
    const base = { type: undefined, userId: undefined, limit: 50, beforeId: undefined }
    expectIndex(await planOf(listEventsQuery(db.sql, base)), 'events_pkey', { noSort: true })
    expectIndex(await planOf(listEventsQuery(db.sql, { ...base, beforeId: middle.eventId })), 'events_pkey', { noSort: true })
    expectIndex(await planOf(listEventsQuery(db.sql, { ...base, userId })), 'events_user_id_idx', { noSort: true })
    expectIndex(await planOf(listEventsQuery(db.sql, { ...base, type: 'rare' })), 'events_type_id_idx', { noSort: true })
  })

  test('sign out everywhere: sessions_user_id_idx', async () => {
    expectIndex(await planOf(db.sql`DELETE FROM sessions WHERE user_id = ${userId} RETURNING token_hash`), 'sessions_user_id_idx')
  })
})
