import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { videoWithTranscript } from './support/fixtures.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'

const ADMIN_TOKEN = 'host-header-admin-token-0123456789abcdef'

// Elysia finds the path at a fixed offset of the URL Bun builds from the Host header: with a Host
// of one to three characters it used to route another path (`Host: ab` + `/xyz/metrics` answered
// the metrics, `Host: x` made every route 404), which would let a client past a proxy that allows
// only some paths. Raw HTTP/1.x to a real server process, so the Host header is exactly what is sent.

let db: TestDatabase
let server: ServerProcess
let port: number
let videoId: string

interface RawResponse {
  status: number
  head: string
  body: string
}

/** One request on its own connection, written byte for byte. */
function raw(request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', reject)
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const head = text.slice(0, split)
      resolve({ status: Number(head.split(' ')[1]), head, body: text.slice(split + 4) })
    })
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(request)}`)))
  })
}

const get = (path: string, host: string | null, version = '1.1') =>
  raw(`GET ${path} HTTP/${version}\r\n${host === null ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`)

const SHORT_HOSTS = ['x', 'ab', 'abc', 'a:1', '[::1]']

/** Every GET path of the OpenAPI document, its parameters filled in with the fixture video. */
async function documentedGetPaths(): Promise<string[]> {
  const doc = JSON.parse((await get('/swagger/json', '127.0.0.1')).body) as { paths: Record<string, Record<string, unknown>> }
  return Object.entries(doc.paths)
    .filter(([, ops]) => 'get' in ops)
    .map(([path]) => path.replace(/\{id\}/g, videoId).replace(/\{provider\}/g, 'oidc').replace(/\{[^}]+\}/g, 'x'))
}

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  videoId = await videoWithTranscript(db.sql, 'hostHeader1', 3)
  server = await startServer(['bun', 'src/main.ts', 'serve'], { env: { DATABASE_URL: db.url, ADMIN_TOKEN } })
  port = Number(new URL(server.baseUrl).port)
})
afterAll(async () => {
  await server?.stop()
  await db?.drop()
})

describe('the router reads the path the client sent, whatever the Host', () => {
  test('every documented GET route answers a short Host as it answers a normal one', async () => {
    const paths = await documentedGetPaths()
    expect(paths.length).toBeGreaterThan(15)
    for (const path of paths) {
      const expected = (await get(path, 'localhost:8000')).status
      for (const host of SHORT_HOSTS) expect({ path, host, status: (await get(path, host)).status }).toEqual({ path, host, status: expected })
    }
  }, 60_000)

  test('a prefix before a real path is a 404 with a short Host, also once the fast lane knows the path', async () => {
    // Twice with a normal Host: the second is a fresh L1 hit the fast lane answers from then on.
    for (let i = 0; i < 2; i++) expect((await get(`/videos/${videoId}`, 'localhost')).status).toBe(200)
    expect((await get(`/videos/${videoId}`, 'localhost')).head).toMatch(/^x-cache: HIT-L1$/im)
    for (const host of SHORT_HOSTS) {
      for (const path of ['/xyz/metrics', `/xyz/videos/${videoId}`, `/xy/videos/${videoId}/transcript`, '/a/health', '/abcdefgh/ready']) {
        const res = await get(path, host)
        expect({ host, path, status: res.status }).toEqual({ host, path, status: 404 })
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'not_found' } })
      }
    }
  })

  test('query strings are read from the right place with a short Host', async () => {
    const res = await get('/videos?limit=1', 'x')
    expect(res.status).toBe(200)
    expect((JSON.parse(res.body) as { items: unknown[] }).items).toHaveLength(1)
    expect((await get('/videos?limit=0', 'ab')).status).toBe(400)
  })

  test('a Host Bun cannot use is a 400 invalid_host (RFC 9112 §3.2), never another path', async () => {
    for (const host of ['a/b', 'a b', '@x', 'a@b', '', 'a?b', 'a#b']) {
      for (const path of ['/xyz/metrics', '/health']) {
        const res = await get(path, host)
        expect({ host, path, status: res.status }).toEqual({ host, path, status: 400 })
        expect(JSON.parse(res.body)).toEqual({ error: { code: 'invalid_host', message: expect.any(String) } })
      }
    }
  })

  test('HTTP/1.0 without a Host (a health check) is routed by its own path', async () => {
    expect((await get('/health', null, '1.0')).status).toBe(200)
    expect((await get('/abcdefghijk/health', null, '1.0')).status).toBe(404)
    // POST /jobs needs an owner: the admin token.
    const created = await raw(`POST /jobs HTTP/1.0\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`)
    expect(created.status).toBe(400)
    expect(JSON.parse(created.body)).toMatchObject({ error: { code: 'missing_field' } })
  })
})
