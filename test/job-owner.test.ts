import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { jobsTodayQuery } from '../src/modules/jobs/queries.ts'
import { expectError, userWithKey } from './support/accounts.ts'
import { describeNode, indexesOf, planNodes } from './support/explain.ts'
import { testApp } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// POST /jobs needs an owner: a signed-in caller (or the ADMIN_TOKEN), unless ALLOW_ANONYMOUS_JOBS;
// free users get FREE_DAILY_JOB_LIMIT new jobs per UTC day, exact under concurrency, shown by GET /auth/me.

const ADMIN_TOKEN = 'job-owner-admin-token-0123456789abcdef'
const LIMIT = 7

let db: TestDatabase
let api: ReturnType<typeof testApp>

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  api = testApp(db.sql, { env: { FREE_DAILY_JOB_LIMIT: String(LIMIT), ADMIN_TOKEN } })
})
afterAll(async () => {
  await db.drop()
})

let videos = 0
/** A new 11-character YouTube id each time. */
const newVideo = () => `https://youtu.be/jobOwner${String(++videos).padStart(3, '0')}`
const post = (a: ReturnType<typeof testApp>, headers: Record<string, string>, url = newVideo()) =>
  a.request('/jobs', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ url, kind: 'single' }) })

interface Me {
  usage: { jobs: { used: number; limit: number | null; remaining: number | null } }
}
const countJobs = async () => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs`)[0]?.n
const jobsUsage = async (headers: Record<string, string>) => ((await (await api.request('/auth/me', { headers })).json()) as Me).usage.jobs

test('anonymous POST /jobs is a 401 and stores nothing', async () => {
  const before = await countJobs()
  await expectError(await post(api, {}), 401, 'unauthorized')
  await expectError(await post(api, { authorization: 'Bearer ta_not-a-real-key' }), 401, 'invalid_token')
  expect(await countJobs()).toBe(before)
})

test('ALLOW_ANONYMOUS_JOBS=true keeps the old behaviour: 201 without credentials, no owner', async () => {
  const open = testApp(db.sql, { env: { ALLOW_ANONYMOUS_JOBS: 'true' } })
  const res = await post(open, {})
  expect(res.status).toBe(201)
  const { id } = (await res.json()) as { id: string }
  const [row] = await db.sql<{ created_by: string | null }[]>`SELECT created_by FROM jobs WHERE id = ${id}`
  expect(row?.created_by).toBeNull()
})

describe('the free plan daily job quota', () => {
  test(`exact under 50 concurrent requests: ${LIMIT} created, the rest 402 job_quota_exceeded`, async () => {
    const user = await userWithKey(db.sql)
    expect(await jobsUsage(user.auth)).toEqual({ used: 0, limit: LIMIT, remaining: LIMIT })
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(api, user.auth)))
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201).length).toBe(LIMIT)
    expect(statuses.filter((s) => s === 402).length).toBe(50 - LIMIT)
    const refused = responses.find((r) => r.status === 402)
    if (refused) expect(await expectError(refused, 402, 'job_quota_exceeded')).toContain('resets at')
    const [owned] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobs WHERE created_by = ${user.account.id}`
    expect(owned?.n).toBe(LIMIT)
    expect(await jobsUsage(user.auth)).toEqual({ used: LIMIT, limit: LIMIT, remaining: 0 })
  })

  test('a URL with an unfinished job returns it (200) without using the quota', async () => {
    const user = await userWithKey(db.sql)
    const other = await userWithKey(db.sql)
    const url = newVideo()
    expect((await post(api, other.auth, url)).status).toBe(201)
    for (let i = 0; i < LIMIT; i++) expect((await post(api, user.auth)).status).toBe(201)
    // Quota used up, yet the queued URL is still answered with its job.
    expect((await post(api, user.auth, url)).status).toBe(200)
    await expectError(await post(api, user.auth), 402, 'job_quota_exceeded')
  })

  test('pro users and admins have no quota', async () => {
    const pro = await userWithKey(db.sql, { plan: 'pro' })
    const admin = await userWithKey(db.sql, { role: 'admin' })
    for (let i = 0; i < LIMIT + 2; i++) {
      expect((await post(api, pro.auth)).status).toBe(201)
      expect((await post(api, admin.auth)).status).toBe(201)
      expect((await post(api, { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(201)
    }
    expect(await jobsUsage(pro.auth)).toEqual({ used: LIMIT + 2, limit: null, remaining: null })
  })
})

test('EXPLAIN: the quota count reads jobs_created_by_created_idx, not the table (60,000 jobs of 200 users, after ANALYZE)', async () => {
  const big = await createTestDatabase({ migrated: true })
  try {
    await big.sql`INSERT INTO users (email) SELECT 'u' || i || '@example.test' FROM generate_series(1, 200) AS i`
    await big.sql`
      INSERT INTO jobs (kind, input_url, state, created_at, created_by)
      SELECT 'single', 'https://www.youtube.com/watch?v=q' || lpad(i::text, 10, '0'), 'completed', now() - i * interval '10 seconds',
             (SELECT id FROM users ORDER BY email OFFSET (i % 200) LIMIT 1)
      FROM generate_series(1, 60000) AS i`
    await big.sql`ANALYZE jobs`
    const [user] = await big.sql<{ id: string }[]>`SELECT id FROM users LIMIT 1`
    const found = await planNodes(big.sql, jobsTodayQuery(big.sql, user?.id ?? ''))
    expect(indexesOf(found)).toContain('jobs_created_by_created_idx')
    expect(found.map(describeNode)).not.toContain('Seq Scan on jobs')
  } finally {
    await big.drop()
  }
}, 60_000)
