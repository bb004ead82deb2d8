import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { createSession } from '../src/modules/auth/service.ts'
import { seedDatabase } from '../src/seed/index.ts'
import { userWithKey } from './support/accounts.ts'
import { testApp, testCursors } from './support/app.ts'
import { bodyFor, boundaryValues, curlOf, encodeUrlValue, hostileUrlValue, operationsOf, urlOf, validValue, type FuzzRequest, type Operation, type UrlValue } from './support/openapi-fuzz.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// Property-based fuzzing of every operation in the OpenAPI document the app serves, so a new route
// is covered the day it is documented. For each operation, generated path, query, header and body
// values (valid, boundary and hostile), anonymous, with a user's key or session and with the admin
// token, against the app on a real PostgreSQL database. Every answer must be below 500, every error
// the JSON error shape with a code the document enumerates for that operation and status, none
// slower than 1 s, and no write answered 304.
//
// `bun run test` runs FUZZ_RUNS=100 requests per operation with FUZZ_SEED=20261203; a longer run:
//   FUZZ_RUNS=2000 bun test test/fuzz-openapi.test.ts       (FUZZ_SEED=… for another sequence,
//   FUZZ_ONLY='GET /search' for one operation)
// A failure prints the request as a curl command (BASE=http://127.0.0.1:8000) and fast-check's seed
// and path to replay it.

const RUNS = Number(process.env.FUZZ_RUNS ?? 100)
const SEED = Number(process.env.FUZZ_SEED ?? 20261203)
const MAX_MS = 1000
const ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef0123456789'

let db: TestDatabase
let api: ReturnType<typeof testApp>
let operations: Operation[]
/** Ids that exist, so generated paths also reach the handlers' happy paths. */
let realIds: string[]
/** Cursors the app issued, to mangle. */
let realCursors: string[]
let credentials: Record<'anonymous' | 'user' | 'userXApiKey' | 'session' | 'admin' | 'badBearer' | 'badScheme' | 'both', [string, string][]>
const statuses = new Map<number, number>()
let requests = 0

const ERROR_CODE = /^[a-z][a-z0-9_]*$/
/** What the router answers before any route (the document's description says so): any operation may meet them. */
const GLOBAL_ERRORS: Record<number, string[]> = { 400: ['invalid_host'], 404: ['not_found'] }
/** Per operation, the undocumented (status, code) pairs met, for the summary. */
const undocumented = new Set<string>()

async function send(r: FuzzRequest): Promise<{ status: number; ms: number; contentType: string | null; text: string }> {
  const started = performance.now()
  const res = await api.fetch(new Request(`http://${r.host}${urlOf(r)}`, { method: r.method, headers: r.headers, body: r.body }))
  const bytes = new Uint8Array(await res.arrayBuffer())
  // In-process there is no client to undo the gzip the server applied.
  const text = new TextDecoder().decode(res.headers.get('content-encoding') === 'gzip' && bytes.length > 0 ? Bun.gunzipSync(bytes) : bytes)
  requests++
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
  return { status: res.status, ms: performance.now() - started, contentType: res.headers.get('content-type'), text }
}

/** What is wrong with the answer to `r` (a request for `op`), or undefined. */
async function check(op: Operation, r: FuzzRequest): Promise<string | undefined> {
  let res: Awaited<ReturnType<typeof send>>
  try {
    res = await send(r)
  } catch (err) {
    return `the app threw: ${String(err)}`
  }
  if (res.status >= 500) return `answered ${res.status}: ${res.text.slice(0, 300)}`
  if (res.ms > MAX_MS) return `took ${Math.round(res.ms)} ms`
  if (res.status === 304 && r.method !== 'GET' && r.method !== 'HEAD') return `answered 304 to ${r.method}`
  if (res.status >= 400 && r.method !== 'HEAD') {
    let body: unknown
    try {
      body = JSON.parse(res.text)
    } catch {
      return `answered ${res.status} with a body that is not JSON: ${res.text.slice(0, 200)}`
    }
    const error = (body as { error?: { code?: unknown; message?: unknown } }).error
    const shapeOk =
      res.contentType?.startsWith('application/json') &&
      typeof error?.code === 'string' &&
      ERROR_CODE.test(error.code) &&
      typeof error.message === 'string' &&
      Object.keys(body as object).length === 1
    if (!shapeOk) return `answered ${res.status} without the error shape (${res.contentType}): ${res.text.slice(0, 200)}`
    // The code must be one the document enumerates for this operation and status.
    const code = String(error?.code)
    const documented = [...(op.errorCodes.get(res.status) ?? []), ...(GLOBAL_ERRORS[res.status] ?? [])]
    if (!documented.includes(code)) {
      undocumented.add(`${op.method} ${op.path} ${res.status} ${code}`)
      return `answered ${res.status} \`${code}\`, which the document does not list for this operation and status (it lists: ${documented.join(', ') || 'none'})`
    }
  }
  return undefined
}

/** Real cursors, cut short, with a changed character, with another's MAC, signed for another list, or re-signed hostile values. */
const cursorValue = (): fc.Arbitrary<UrlValue> =>
  fc.oneof(
    fc.constantFrom(...realCursors),
    fc.tuple(fc.constantFrom(...realCursors), fc.nat()).map(([c, n]) => c.slice(0, n % c.length)),
    fc.tuple(fc.constantFrom(...realCursors), fc.nat(), fc.constantFrom('A', '_', '-', '.', '=', '%')).map(([c, n, ch]) => {
      const i = n % c.length
      return `${c.slice(0, i)}${ch}${c.slice(i + 1)}`
    }),
    fc.tuple(fc.constantFrom(...realCursors), fc.constantFrom(...realCursors)).map(([a, b]) => `${a.split('.')[0]}.${b.split('.')[1] ?? ''}`),
    fc.tuple(fc.string({ maxLength: 30 }), fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.double(), fc.integer()), { maxLength: 3 })).map(([scope, values]) => testCursors.encode(scope, values)),
    hostileUrlValue,
  )

function pathFor(op: Operation): fc.Arbitrary<string> {
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')
  if (names.length === 0) return fc.constant(op.path)
  const param = (name: string) => {
    const schema = op.parameters.find((p) => p.in === 'path' && p.name === name)?.schema
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...realIds) },
      { weight: 2, arbitrary: validValue(schema).map(String) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 3, arbitrary: hostileUrlValue },
    )
  }
  // Encoded like query values: a `/` inside becomes %2F (a raw one would only route elsewhere).
  return fc.tuple(...names.map(param)).map((values) => names.reduce((path, name, i) => path.replace(`{${name}}`, encodeUrlValue(values[i] ?? '')), op.path))
}

/**
 * Query parameters: each declared one absent or valid (its schema and examples), then up to two of
 * them at a boundary (from the schema), hostile, or a mangled cursor, sometimes an undeclared or a
 * duplicated one: a bad value among good ones gets past the checks that come before its own.
 */
function queryFor(op: Operation): fc.Arbitrary<[string, UrlValue][]> {
  const declared = op.parameters.filter((p) => p.in === 'query')
  const valid = (p: Operation['parameters'][number]) => {
    const value = validValue(p.schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    return p.required ? value : fc.option(value, { freq: 2 })
  }
  const boundaries = declared.map((p) => boundaryValues(p.schema))
  const mutation = fc.tuple(fc.nat(), fc.nat(), fc.nat(), hostileUrlValue, cursorValue()).map(([at, kind, pick, hostile, cursor]): [number, UrlValue] => {
    const i = at % Math.max(declared.length, 1)
    const edges = boundaries[i] ?? []
    const choice = kind % 5
    return [i, choice < 2 && edges.length > 0 ? (edges[pick % edges.length] ?? '') : choice === 4 ? cursor : hostile]
  })
  const extraName = fc.oneof(fc.constantFrom(...declared.map((p) => p.name), 'x', '__proto__', 'constructor', 'q[]', 'limit[0]'), fc.string({ maxLength: 6 }))
  return fc
    .record({
      values: fc.tuple(...declared.map(valid)),
      mutations: fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 2 })),
      extra: fc.oneof({ weight: 5, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(extraName, hostileUrlValue), { minLength: 1, maxLength: 2 }) }),
      duplicate: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    })
    .map(({ values, mutations, extra, duplicate }) => {
      const chosen: (UrlValue | null)[] = [...values]
      if (declared.length > 0) for (const [i, v] of mutations) chosen[i] = v
      const list: [string, UrlValue][] = declared.flatMap((p, i) => {
        const v = chosen[i]
        return v === null || v === undefined ? [] : [[p.name, v] as [string, UrlValue]]
      })
      list.push(...extra)
      // The same name twice (`?limit=1&limit=2`): Elysia hands such values over as arrays.
      const first = list[0]
      if (duplicate && first) list.push([first[0], first[1]])
      return list
    })
}

/**
 * The credentials for `op`, those the route lets through (found by asking it once with each) eight
 * times likelier than the rest: a request that gets past authentication reaches the most code.
 */
async function credentialsFor(op: Operation): Promise<fc.Arbitrary<[string, string][]>> {
  const path = op.path.replace(/\{[^}]+\}/g, realIds[0] ?? '')
  const weighted = await Promise.all(
    Object.values(credentials).map(async (headers) => {
      const res = await api.fetch(new Request(`http://localhost${path}`, { method: op.method, headers }))
      await res.arrayBuffer()
      return { weight: res.status === 401 || res.status === 403 ? 1 : 8, arbitrary: fc.constant(headers) }
    }),
  )
  return fc.oneof(...weighted)
}

function headersFor(op: Operation, auth: fc.Arbitrary<[string, string][]>): fc.Arbitrary<{ headers: [string, string][]; method: string; body: FuzzRequest['body'] }> {
  const optional = fc.tuple(
    fc.option(fc.constantFrom('gzip', 'identity', 'gzip;q=0', '*', 'br, deflate', 'gzip;q=abc, ÿ'), { freq: 2 }),
    fc.option(fc.constantFrom('*', 'W/"x"', '"x"', 'garbage', 'W/"1", W/"2"', ''), { freq: 4 }),
    fc.option(fc.constantFrom('bytes=0-10', 'bytes=-1', 'bytes=abc'), { freq: 6 }),
  )
  const methods = op.method === 'GET' ? fc.constantFrom('GET', 'GET', 'GET', 'HEAD') : fc.constant(op.method)
  return fc.tuple(auth, optional, methods, bodyFor(op)).map(([credential, [encoding, etag, range], method, body]) => {
    const headers: [string, string][] = [...credential]
    if (encoding !== null) headers.push(['accept-encoding', encoding])
    if (etag !== null) headers.push(['if-none-match', etag])
    if (range !== null) headers.push(['range', range])
    if (body.contentType !== undefined) headers.push(['content-type', body.contentType])
    return { headers, method, body: method === 'GET' || method === 'HEAD' ? undefined : body.body }
  })
}

/** Mostly the usual Host; sometimes one short enough that Elysia would read the path from the wrong place. */
const hosts = fc.oneof({ weight: 6, arbitrary: fc.constant('localhost') }, { weight: 1, arbitrary: fc.constantFrom('x', 'ab', 'abc', '[::1]:1', 'a.b:65535') })

const requestFor = (op: Operation, auth: fc.Arbitrary<[string, string][]>): fc.Arbitrary<FuzzRequest> =>
  fc.tuple(hosts, pathFor(op), queryFor(op), headersFor(op, auth)).map(([host, path, query, h]) => ({ method: h.method, host, path, query, headers: h.headers, body: h.body }))

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  await seedDatabase(db.sql, { videos: 20, segmentsPerVideo: 20, seed: 5 })
  api = testApp(db.sql, { env: { ADMIN_TOKEN } })
  const user = await userWithKey(db.sql)
  const victim = await userWithKey(db.sql, { email: 'victim@example.test' })
  const session = await createSession(db.sql, user.account.id, { userAgent: 'fuzz', ip: null })
  credentials = {
    anonymous: [],
    user: [['authorization', `Bearer ${user.key}`]],
    userXApiKey: [['x-api-key', user.key]],
    session: [['cookie', `session=${session.token}`]],
    admin: [['authorization', `Bearer ${ADMIN_TOKEN}`]],
    badBearer: [['authorization', 'Bearer ta_not-a-real-key']],
    badScheme: [['authorization', `Basic ${btoa('a:b')}`]],
    both: [
      ['authorization', `Bearer ${ADMIN_TOKEN}`],
      ['cookie', 'session=garbage; session=more'],
    ],
  }
  const json = async (path: string, init?: RequestInit) => (await api.request(path, init)).json() as Promise<Record<string, unknown>>
  const video = (await json('/videos?limit=1')) as { items: { id: string }[] }
  const videoId = video.items[0]?.id ?? ''
  const userAuth = { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' }
  const favorite = await json('/favorites', { method: 'POST', headers: userAuth, body: JSON.stringify({ video_id: videoId, start_ms: 0, end_ms: 10, text: 'x' }) })
  await json('/favorites', { method: 'POST', headers: userAuth, body: JSON.stringify({ video_id: videoId, start_ms: 5, end_ms: 10 }) })
  await json('/events/batch', { method: 'POST', headers: userAuth, body: JSON.stringify({ events: [{ type: 'click' }, { type: 'view', payload: { a: 1 } }] }) })
  const job = await json('/jobs', { method: 'POST', headers: userAuth, body: JSON.stringify({ url: 'https://youtu.be/dQw4w9WgXcQ', kind: 'single' }) })
  await json('/jobs', { method: 'POST', headers: userAuth, body: JSON.stringify({ url: 'https://www.youtube.com/@fuzz', kind: 'channel' }) })
  realIds = [videoId, user.account.id, victim.keyId, String(favorite.id), String(job.id)]
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const pages = await Promise.all([
    json('/videos?limit=1'),
    json('/videos?limit=1&sort=uploaded_at'),
    json('/jobs?limit=1'),
    json('/search?q=coffee&limit=1'),
    json('/favorites?limit=1', { headers: userAuth }),
    json('/admin/users?limit=1', { headers: admin }),
    json('/admin/events?limit=1', { headers: admin }),
  ])
  realCursors = pages.map((p) => (p.page_info as { next_cursor: string | null }).next_cursor).filter((c): c is string => typeof c === 'string')
  const doc = (await json('/swagger/json')) as unknown as Parameters<typeof operationsOf>[0]
  operations = operationsOf(doc)
}, 60_000)

afterAll(async () => {
  const byStatus = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')
  console.log(`fuzz: ${requests} requests over ${operations?.length ?? 0} operations (FUZZ_RUNS=${RUNS} per operation, FUZZ_SEED=${SEED}): ${byStatus}`)
  if (undocumented.size > 0) console.log(`fuzz: error codes not in the document:\n  ${[...undocumented].sort().join('\n  ')}`)
  await db.drop()
})

describe('every documented operation, fuzzed: no 5xx, errors in the JSON shape, each under 1 s', () => {
  test('the document and the setup give the fuzzer something to work with', () => {
    expect(operations.length).toBeGreaterThanOrEqual(30)
    expect(realCursors.length).toBe(7)
    expect(realIds.every((id) => id.length === 36)).toBe(true)
  })

  // One property per operation of the document, so each gets its share of requests however many
  // there are, and a failure names the route.
  test(`${RUNS} generated requests per operation`, async () => {
    // Every operation is fuzzed even after one fails, so one run reports every route that broke.
    const failures: string[] = []
    for (const op of operations.filter((o) => !process.env.FUZZ_ONLY || `${o.method} ${o.path}` === process.env.FUZZ_ONLY)) {
      const problems = new Map<FuzzRequest, string>()
      const details = await fc.check(
        fc.asyncProperty(requestFor(op, await credentialsFor(op)), async (r) => {
          const problem = await check(op, r)
          if (problem) problems.set(r, problem)
          return problem === undefined
        }),
        { seed: SEED, numRuns: RUNS },
      )
      if (!details.failed) continue
      const [r] = details.counterexample ?? []
      const what = r ? `${problems.get(r) ?? String(details.errorInstance)}\n  ${curlOf(r)}` : String(details.errorInstance)
      failures.push(`${op.method} ${op.path}: ${what}\n${fc.defaultReportMessage(details)}`)
    }
    expect(failures).toEqual([])
  }, 600_000)
})
