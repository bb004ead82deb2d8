import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createPool } from '../src/platform/db.ts'
import { closeRedis, createRedis } from '../src/platform/redis.ts'
import { APP_VERSION } from '../src/version.ts'
import { testApp } from './support/app.ts'
import { createTestDatabase, quietLog, type TestDatabase } from './support/postgres.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
})
afterAll(async () => {
  await db.drop()
})

describe('health and readiness', () => {
  test('GET /health is 200 with the version and uptime, and never cached', async () => {
    const res = await testApp(db.sql).request('/health')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { status: string; version: string; uptime_seconds: number }
    expect(body).toEqual({ status: 'ok', version: APP_VERSION, uptime_seconds: expect.any(Number) })
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0)
    expect(body.uptime_seconds).toBeLessThanOrEqual(process.uptime())
  })

  test('GET /ready is 200 when the database answers', async () => {
    const res = await testApp(db.sql).request('/ready')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ready', database: 'up' })
  })

  test('GET /ready is 503 database_unavailable only when the database is unreachable', async () => {
    const dead = createPool('postgres://postgres@127.0.0.1:1/none', { max: 1, applicationName: 'test' })
    try {
      const res = await testApp(dead).request('/ready')
      expect(res.status).toBe(503)
      expect(await res.json()).toEqual({
        error: { code: 'database_unavailable', message: 'the database is unreachable: requests that need it answer 503' },
        status: 'unavailable',
        database: 'down',
      })
    } finally {
      await dead.end({ timeout: 0 })
    }
  })

  test('GET /ready with Redis configured: ready with the real one, 200 degraded naming it when unreachable', async () => {
    const live = createRedis('redis://127.0.0.1:6379', quietLog)
    const dead = createRedis('redis://127.0.0.1:1', quietLog)
    try {
      await Bun.sleep(200)
      const ok = await testApp(db.sql, { redis: live }).request('/ready')
      expect(ok.status).toBe(200)
      expect(await ok.json()).toEqual({ status: 'ready', database: 'up', redis: 'up' })
      // The server still serves everything from L1 and the database: a balancer must keep routing to it.
      const degraded = await testApp(db.sql, { redis: dead }).request('/ready')
      expect(degraded.status).toBe(200)
      expect(await degraded.json()).toEqual({ status: 'degraded', database: 'up', redis: 'down' })
    } finally {
      await closeRedis(live)
      await closeRedis(dead)
    }
  })
})

describe('errors', () => {
  test('an unknown route is a JSON 404', async () => {
    const res = await testApp(db.sql).request('/no/such/route')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /no/such/route' } })
  })

  test('an internal error is a JSON 500 without the message or a stack trace', async () => {
    const { app } = testApp(db.sql)
    app.get('/__boom', () => {
      throw new Error('secret detail at /src/somewhere.ts:12')
    })
    const res = await app.handle(new Request('http://localhost/__boom'))
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: 'internal server error' } })
    expect(text).not.toContain('secret')
    expect(text).not.toContain('.ts')
  })
})

describe('Swagger UI', () => {
  test('the HTML page loads only local assets', async () => {
    const { request } = testApp(db.sql)
    const res = await request('/swagger')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    const html = await res.text()
    expect(html).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i)
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? '')
    expect(assets.length).toBe(2)
    for (const path of assets) {
      expect(path).toStartWith('/swagger/assets/')
      const asset = await request(path)
      expect(asset.status).toBe(200)
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(10_000)
    }
  })

  test('the OpenAPI document describes the routes', async () => {
    const res = await testApp(db.sql).request('/swagger/json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toStartWith('3.')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/ready']))
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/swagger/assets'))).toBe(false)
  })
})
