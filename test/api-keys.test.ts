import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createApiKey } from '../src/modules/auth/service.ts'
import { expectError, userWithKey } from './support/accounts.ts'
import { testApp } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// GET /auth/api-keys is a keyset page like every other list (it was a silent top 200): a walk sees
// every key once, newest first, across keys created in the same microsecond.

let db: TestDatabase
let api: ReturnType<typeof testApp>

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  api = testApp(db.sql)
})
afterAll(async () => {
  await db?.drop()
})

interface KeyPage {
  items: { id: string; key_prefix: string; created_at: string }[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

async function page(auth: Record<string, string>, query: string): Promise<KeyPage> {
  const res = await api.request(`/auth/api-keys${query}`, { headers: auth })
  expect(res.status).toBe(200)
  return (await res.json()) as KeyPage
}

describe('GET /auth/api-keys', () => {
  test('walks every key exactly once, newest first, with ties on created_at', async () => {
    const u = await userWithKey(db.sql)
    for (let i = 0; i < 11; i++) await createApiKey(db.sql, u.account.id, { name: `k${i}`, scopes: ['read'], expiresAt: null })
    // Five of them share one created_at: only the id tells them apart.
    await db.sql`UPDATE api_keys SET created_at = '2025-01-01T00:00:00.123456Z' WHERE id IN (SELECT id FROM api_keys WHERE user_id = ${u.account.id} ORDER BY id LIMIT 5)`
    const expected = await db.sql<{ id: string }[]>`SELECT id FROM api_keys WHERE user_id = ${u.account.id} ORDER BY created_at DESC, id DESC`
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const p: KeyPage = await page(u.auth, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(p.items.length).toBeLessThanOrEqual(3)
      seen.push(...p.items.map((k) => k.id))
      expect(p.page_info.has_next_page).toBe(p.page_info.next_cursor !== null)
      cursor = p.page_info.next_cursor
      pages++
    } while (cursor && pages < 20)
    expect(seen).toEqual(expected.map((r) => r.id))
    expect(seen).toHaveLength(12)
    expect(pages).toBe(4)
  })

  test('default limit 50, at most 200; bad limits and cursors are 400s; a cursor is only good for its owner', async () => {
    const u = await userWithKey(db.sql)
    const other = await userWithKey(db.sql)
    for (let i = 0; i < 51; i++) await createApiKey(db.sql, u.account.id, { name: null, scopes: ['read'], expiresAt: null })
    const first = await page(u.auth, '')
    expect(first.items).toHaveLength(50)
    expect(first.page_info.has_next_page).toBe(true)
    expect((await page(u.auth, '?limit=200')).items).toHaveLength(52)
    for (const limit of ['0', '201', '-1', '1.5', 'ten', '1e2']) await expectError(await api.request(`/auth/api-keys?limit=${limit}`, { headers: u.auth }), 400, 'invalid_limit')
    await expectError(await api.request('/auth/api-keys?cursor=garbage', { headers: u.auth }), 400, 'invalid_cursor')
    // Another user's cursor does not page through this user's keys.
    await expectError(await api.request(`/auth/api-keys?cursor=${first.page_info.next_cursor}`, { headers: other.auth }), 400, 'invalid_cursor')
  })
})
