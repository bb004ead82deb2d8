import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { CursorCodec, readCursorSecret } from '../src/http/cursor-codec.ts'
import { bigintField, realField, timestampField, timestampOrInfinityField, uuidField } from '../src/http/cursor-fields.ts'
import { parseSearchQuery } from '../src/modules/search/params.ts'
import { expectError, userWithKey } from './support/accounts.ts'
import { testApp, testCursors } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'

// Pagination cursors: signed with a key the database generated (sql/0008_cursor_secret.sql), the
// same on every instance, rotated by an UPDATE and a restart; and every value a cursor holds is
// checked like user input, so even a cursor signed with the right key is a 400, never a 500.

const ADMIN_TOKEN = 'cursor-tests-admin-token-0123456789abcdef'
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const NIL = '00000000-0000-4000-8000-000000000000'

interface PageJson {
  items: { id: string }[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

describe('cursor fields: what Postgres prints is accepted, what it would refuse to cast is not', () => {
  const cases = [
    { name: 'real (search ranks)', field: realField, ok: ['0', '0.0607927', '1e-20', '1.1754944e-38', '3.4028235e+38', '12'], bad: ['1e99', '1e-99', '1e-40', '3.5e38', '-0.1', 'NaN', 'Infinity', '', '0x10', '1 '] },
    { name: 'bigint (segment and event ids)', field: bigintField, ok: ['1', '42', '9223372036854775807'], bad: ['0x1', '-1', '9223372036854775808', '9999999999999999999', '1.0', '', '12345678901234567890'] },
    {
      name: 'timestamptz as UTC text with microseconds',
      field: timestampField,
      ok: ['2024-02-29T23:59:59.999999Z', '0001-01-01T00:00:00.000000Z', '9999-12-31T23:59:59.999999Z', '0050-06-01T12:00:00.000000Z'],
      bad: ['2024-02-30T00:00:00.000000Z', '2023-02-29T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', '2024-13-01T00:00:00.000000Z', '2024-01-01T24:00:00.000000Z', '2024-01-01T00:60:00.000000Z', '2024-01-01 00:00:00+00', '2024-01-01T00:00:00Z', 'infinity'],
    },
    { name: 'timestamptz or ±infinity (video sort keys)', field: timestampOrInfinityField, ok: ['infinity', '-infinity', '2024-01-01T00:00:00.000000Z'], bad: ['Infinity', '+infinity', '2024-02-30T00:00:00.000000Z'] },
    { name: 'uuid as Postgres prints it', field: uuidField, ok: [NIL, randomUUID()], bad: ['not-a-uuid', randomUUID().toUpperCase(), `${NIL}0`, ''] },
  ]
  for (const { name, field, ok, bad } of cases) {
    test(name, () => {
      for (const v of ok) expect(field.parse(v)).toBe(v)
      for (const v of bad) expect(field.parse(v)).toBeUndefined()
      expect(field.parse(1)).toBeUndefined()
    })
  }
})

describe('CursorCodec', () => {
  test('round-trips; another key, another scope, a changed payload or extra dots are invalid_cursor', () => {
    const a = new CursorCodec('a'.repeat(32))
    const b = new CursorCodec('b'.repeat(32))
    const cursor = a.encode('GET /x', ['2024-01-01T00:00:00.000000Z', NIL])
    expect(a.decode('GET /x', cursor, [timestampField, uuidField])).toEqual(['2024-01-01T00:00:00.000000Z', NIL])
    const [payload = '', mac = ''] = cursor.split('.')
    for (const [codec, scope, c] of [
      [b, 'GET /x', cursor],
      [a, 'GET /y', cursor],
      [a, 'GET /x', `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}.${mac}`],
      [a, 'GET /x', `${cursor}.x`],
      [a, 'GET /x', `${payload}.${mac.slice(0, -1)}`],
      [a, 'GET /x', ''],
    ] as const) {
      expect(() => codec.decode(scope, c, [timestampField, uuidField])).toThrow(expect.objectContaining({ status: 400, code: 'invalid_cursor' }))
    }
    // the right key and scope, but another arity
    expect(() => a.decode('GET /x', cursor, [timestampField])).toThrow(expect.objectContaining({ code: 'invalid_cursor' }))
  })

  test('refuses a short key', () => {
    expect(() => new CursorCodec('short')).toThrow(/at least 32/)
  })
})

describe('cursors signed with the right key but holding impossible values are 400 invalid_cursor', () => {
  let db: TestDatabase
  let api: ReturnType<typeof testApp>
  let user: Awaited<ReturnType<typeof userWithKey>>
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true })
    api = testApp(db.sql, { env: { ADMIN_TOKEN } })
    user = await userWithKey(db.sql)
  })
  afterAll(async () => {
    await db.drop()
  })

  const sign = (scope: string, values: (string | number)[]) => encodeURIComponent(testCursors.encode(scope, values))
  const status = async (path: string, headers: Record<string, string> = {}) => (await api.request(path, { headers })).status

  test('search: ranks out of range for real (1e99, 1e-99) and ids out of range for bigint', async () => {
    const { scope } = parseSearchQuery({ q: 'coffee' }, testCursors)
    for (const values of [['1e99', '1'], ['1e-99', '1'], ['0.1', '9999999999999999999'], ['-1', '1']]) {
      await expectError(await api.request(`/search?q=coffee&cursor=${sign(scope, values)}`), 400, 'invalid_cursor')
    }
    for (const values of [['0', '1'], ['3.4028235e+38', '9223372036854775807'], ['1e-20', '1']]) {
      expect(await status(`/search?q=coffee&cursor=${sign(scope, values)}`)).toBe(200)
    }
  })

  test('favorites and admin users: dates that do not exist (2024-02-30, year 0000)', async () => {
    const favorites = `GET /favorites ${user.account.id}`
    const users = `GET /admin/users ${JSON.stringify([null])}`
    for (const key of ['2024-02-30T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', '2024-01-01T25:00:00.000000Z']) {
      await expectError(await api.request(`/favorites?cursor=${sign(favorites, [key, NIL])}`, { headers: user.auth }), 400, 'invalid_cursor')
      await expectError(await api.request(`/admin/users?cursor=${sign(users, [key, NIL])}`, { headers: admin }), 400, 'invalid_cursor')
    }
    for (const key of ['0001-01-01T00:00:00.000000Z', '9999-12-31T23:59:59.999999Z']) {
      expect(await status(`/favorites?cursor=${sign(favorites, [key, NIL])}`, user.auth)).toBe(200)
      expect(await status(`/admin/users?cursor=${sign(users, [key, NIL])}`, admin)).toBe(200)
    }
  })

  test('admin events: an id out of range for bigint (9999999999999999999)', async () => {
    const scope = `GET /admin/events ${JSON.stringify([null, null])}`
    for (const id of ['9999999999999999999', '9223372036854775808', '-1', 'x']) {
      await expectError(await api.request(`/admin/events?cursor=${sign(scope, [id])}`, { headers: admin }), 400, 'invalid_cursor')
    }
    expect(await status(`/admin/events?cursor=${sign(scope, ['9223372036854775807'])}`, admin)).toBe(200)
  })

  test('jobs: the same timestamp checks (UTC keys now, as every other list)', async () => {
    await expectError(await api.request(`/jobs?cursor=${sign('GET /jobs?state=', ['2024-02-30T00:00:00.000000Z', NIL])}`), 400, 'invalid_cursor')
    expect(await status(`/jobs?cursor=${sign('GET /jobs?state=', ['9999-12-31T23:59:59.999999Z', NIL])}`)).toBe(200)
  })
})

describe('the signing key lives in the database', () => {
  let db: TestDatabase
  const servers: ServerProcess[] = []
  const serve = async () => {
    const server = await startServer(['bun', 'src/main.ts', 'serve'], { env: { DATABASE_URL: db.url, LOG_LEVEL: 'info' } })
    servers.push(server)
    return server
  }
  const page = async (server: ServerProcess, cursor?: string) => {
    const res = await fetch(`${server.baseUrl}/videos?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    return { status: res.status, body: (await res.json()) as PageJson & { error?: { code: string } } }
  }

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true })
    await db.sql`INSERT INTO videos (youtube_id, title) SELECT 'cursorKey' || lpad(i::text, 3, '0'), 'v' || i FROM generate_series(1, 9) AS i`
  })
  afterAll(async () => {
    for (const s of servers) if (s.proc.exitCode === null) await s.stop()
    await db.drop()
  })

  test('each database gets its own random key of 64 hex digits; nothing in the source', async () => {
    const other = await createTestDatabase({ migrated: true })
    try {
      const [mine, theirs] = [await readCursorSecret(db.sql), await readCursorSecret(other.sql)]
      expect(mine).toMatch(/^[0-9a-f]{64}$/)
      expect(theirs).toMatch(/^[0-9a-f]{64}$/)
      expect(mine).not.toBe(theirs)
    } finally {
      await other.drop()
    }
  })

  test('two server processes on one database accept each other’s cursors; after a rotation and a restart old cursors are 400 invalid_cursor', async () => {
    const [a, b] = await Promise.all([serve(), serve()])
    const first = await page(a)
    expect(first.status).toBe(200)
    const cursor = first.body.page_info.next_cursor ?? ''
    const onB = await page(b, cursor)
    expect(onB.status).toBe(200)
    expect(onB.body.items.map((v) => v.id)).toEqual((await page(a, cursor)).body.items.map((v) => v.id))
    // The secret the code used to hold is no key here.
    const oldConstant = new CursorCodec('transcript-api cursor v1'.padEnd(32, ' ')).encode('x', [])
    expect((await page(a, oldConstant)).status).toBe(400)

    await db.sql`UPDATE server_secrets SET value = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), updated_at = now() WHERE name = 'cursor_signing_key'`
    expect(await b.stop()).toBe(0)
    const restarted = await serve()
    const stale = await page(restarted, cursor)
    expect(stale.status).toBe(400)
    expect(stale.body.error?.code).toBe('invalid_cursor')
    // Fresh cursors work; nothing else changed.
    const fresh = await page(restarted)
    expect(fresh.body.items.map((v) => v.id)).toEqual(first.body.items.map((v) => v.id))
    expect((await page(restarted, fresh.body.page_info.next_cursor ?? '')).status).toBe(200)
  }, 120_000)
})
