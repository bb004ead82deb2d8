import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testApp } from './support/app.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// The served OpenAPI document: valid by Redocly's recommended rules (0 errors; the warnings left are
// listed below with why), its schemas named components, its integers integers, every error code
// enumerated, every operation saying what credentials it takes, and a server relative to the page.

interface Doc {
  openapi: string
  servers: { url: string }[]
  paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme?: string; in?: string; name?: string }> }
}

/** Redocly's warnings that stay, each for a reason. */
const EXPECTED_WARNINGS = [
  // The project declares no license.
  'info-license #/info',
  // A liveness probe and the readiness report have no client error to give; /metrics has its 401 only when METRICS_TOKEN is set (not in this app).
  'operation-4xx-response #/paths/~1health/get/responses',
  'operation-4xx-response #/paths/~1ready/get/responses',
  'operation-4xx-response #/paths/~1metrics/get/responses',
  // Sign-in answers with redirects (302), never a 2xx.
  'operation-2xx-response #/paths/~1auth~1login~1{provider}/get/responses',
  'operation-2xx-response #/paths/~1auth~1callback~1{provider}/get/responses',
]

let db: TestDatabase
let doc: Doc
let text: string
const dir = mkdtempSync(join(tmpdir(), 'ta-openapi-'))

beforeAll(async () => {
  db = await createTestDatabase()
  const res = await testApp(db.sql, { env: { PUBLIC_BASE_URL: 'https://api.example.com/' } }).request('/swagger/json')
  expect(res.status).toBe(200)
  text = await res.text()
  doc = JSON.parse(text) as Doc
})
afterAll(async () => {
  await db?.drop()
  rmSync(dir, { recursive: true, force: true })
})

/** Every object in `value`, depth first. */
function* objects(value: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(value)) for (const v of value) yield* objects(v)
  else if (typeof value === 'object' && value !== null) {
    yield value as Record<string, unknown>
    for (const v of Object.values(value)) yield* objects(v)
  }
}

describe('the OpenAPI document', () => {
  test('redocly lint (recommended rules): 0 errors, only the warnings explained above', async () => {
    const file = join(dir, 'openapi.json')
    writeFileSync(file, text)
    const proc = Bun.spawn(['bun', 'node_modules/@redocly/cli/bin/cli.js', 'lint', '--format=json', file], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } })
    const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
    const result = JSON.parse(out) as { problems: { severity: string; ruleId: string; message: string; location: { pointer: string }[] }[] }
    const errors = result.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)
    expect(errors).toEqual([])
    const warnings = result.problems.filter((p) => p.severity === 'warn').map((p) => `${p.ruleId} ${p.location[0]?.pointer}`)
    expect(warnings.sort()).toEqual([...EXPECTED_WARNINGS].sort())
  }, 60_000)

  test('servers: relative to the page, from PUBLIC_BASE_URL’s path (an absolute URL breaks “Try it out” through another host)', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers.map((s) => s.url)).toEqual(['/'])
  })

  test('shapes are named components referred to by $ref; no nullable beside anyOf, no string-or-integer numbers', () => {
    const names = Object.keys(doc.components.schemas)
    for (const name of ['Video', 'VideoDetail', 'VideoPage', 'VideoPatch', 'Job', 'CreateJob', 'SearchHit', 'Me', 'ApiKey', 'ApiKeyPage', 'NewApiKeyRequest', 'NewFavorite', 'CacheStats']) {
      expect(names).toContain(name)
    }
    const refs = new Set([...objects(doc.paths), ...objects(doc.components.schemas)].map((o) => o.$ref).filter((r): r is string => typeof r === 'string'))
    for (const name of names) expect({ name, referred: refs.has(`#/components/schemas/${name}`) }).toEqual({ name, referred: true })
    for (const o of objects(doc)) {
      expect(o).not.toHaveProperty('nullable')
      expect(o).not.toHaveProperty('errorCode')
      expect(o).not.toHaveProperty('mustBe')
      if (o.format === 'integer' || o.format === 'numeric') throw new Error(`a coercing number is left: ${JSON.stringify(o)}`)
    }
    // limit parameters are integers with their range.
    const limits = Object.values(doc.paths).flatMap((ops) => Object.values(ops)).flatMap((op) => ((op as { parameters?: { name: string; schema: { type: string; minimum: number } }[] }).parameters ?? []).filter((p) => p.name === 'limit'))
    expect(limits.length).toBeGreaterThanOrEqual(6)
    for (const l of limits) expect({ type: l.schema.type, minimum: l.schema.minimum }).toEqual({ type: 'integer', minimum: 1 })
  })

  test('every error response enumerates its codes; every operation declares its security; only used schemes are listed', () => {
    const used = new Set<string>()
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect({ op: `${method} ${path}`, security: Array.isArray(op.security) }).toEqual({ op: `${method} ${path}`, security: true })
        for (const r of op.security ?? []) for (const name of Object.keys(r)) used.add(name)
        for (const [status, res] of Object.entries(op.responses)) {
          if (Number(status) < 400 || (path === '/ready' && status === '503')) continue
          const schema = res.content?.['application/json']?.schema as { properties: { error: { properties: { code: { enum: string[] } } } } }
          expect({ op: `${method} ${path} ${status}`, codes: schema.properties.error.properties.code.enum.length > 0 }).toEqual({ op: `${method} ${path} ${status}`, codes: true })
        }
      }
    }
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([...used].sort())
    expect(doc.components.securitySchemes).toMatchObject({
      apiKeyBearer: { type: 'http', scheme: 'bearer' },
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      sessionCookie: { type: 'apiKey', in: 'cookie', name: 'session' },
      adminToken: { type: 'http', scheme: 'bearer' },
    })
    expect(doc.paths['/auth/me']?.get?.security).toEqual(expect.arrayContaining([{ apiKeyBearer: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }, { adminToken: [] }]))
    expect(doc.paths['/admin/users']?.get?.security).toContainEqual({ adminToken: [] })
    expect(doc.paths['/favorites']?.get?.security).not.toContainEqual({ adminToken: [] })
    expect(doc.paths['/videos/{id}']?.get?.security).toEqual([])
  })

  test('with METRICS_TOKEN set, /metrics declares its bearer scheme and its 401', async () => {
    const res = await testApp(db.sql, { env: { METRICS_TOKEN: 'a-metrics-token-for-the-document-test-0123' } }).request('/swagger/json')
    const withToken = (await res.json()) as Doc
    expect(withToken.paths['/metrics']?.get?.security).toEqual([{ metricsToken: [] }])
    expect(Object.keys(withToken.paths['/metrics']?.get?.responses ?? {})).toContain('401')
    expect(withToken.components.securitySchemes.metricsToken).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.components.securitySchemes).not.toHaveProperty('metricsToken')
  })

  test('no schema in a model is cast to hand it to OpenAPI', () => {
    const models = readdirSync('src/modules', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('model.ts'))
    expect(models.length).toBeGreaterThanOrEqual(8)
    for (const f of models) expect({ f, casts: readFileSync(join('src/modules', f), 'utf8').includes('as unknown as') }).toEqual({ f, casts: false })
  })
})

describe('rate limits in the document', () => {
  test('every operation but the operator endpoints documents the 429 rate_limited and its headers', async () => {
    const doc = (await (await testApp(db.sql).request('/swagger/json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: { properties: { error: { properties: { code: { enum: string[] } } } } } }> }> }>>
    }
    let operations = 0
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const refused = op.responses['429']
        if (['/health', '/ready', '/metrics'].includes(path)) {
          expect({ op: `${method} ${path}`, refused }).toEqual({ op: `${method} ${path}`, refused: undefined })
          continue
        }
        operations++
        expect({ op: `${method} ${path}`, headers: Object.keys(refused?.headers ?? {}) }).toEqual({ op: `${method} ${path}`, headers: ['Retry-After', 'RateLimit-Policy', 'RateLimit', 'X-Request-Id'] })
        expect(refused?.content?.['application/json']?.schema.properties.error.properties.code.enum).toEqual(['rate_limited'])
      }
    }
    expect(operations).toBeGreaterThan(20)
  })
})

describe('edge headers in the document', () => {
  test('every response of every operation documents X-Request-Id, and every 401 its WWW-Authenticate challenge', async () => {
    const doc = (await (await testApp(db.sql).request('/swagger/json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, { description: string }> }> }>>
    }
    let responses = 0
    let unauthorized = 0
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          responses++
          const names = Object.keys(response.headers ?? {})
          expect({ at: `${method} ${path} ${status}`, requestId: names.includes('X-Request-Id') }).toEqual({ at: `${method} ${path} ${status}`, requestId: true })
          if (status !== '401') continue
          unauthorized++
          expect({ at: `${method} ${path}`, challenge: response.headers?.['WWW-Authenticate']?.description }).toEqual({
            at: `${method} ${path}`,
            challenge: expect.stringContaining('Bearer realm="transcript-api", error="invalid_token"'),
          })
        }
      }
    }
    expect(responses).toBeGreaterThan(100)
    expect(unauthorized).toBeGreaterThan(10)
  })
})
