import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NO_RATE_LIMITS } from './support/app.ts'
import { startServer } from './support/server-process.ts'

// With DATABASE_URL unset the server runs PGlite in DATA_DIR: boots, migrates, seeds, answers,
// keeps its data across restarts, refuses a second server on the same directory, and lets the
// CLI use it beside the running server.

const dataDir = mkdtempSync(join(tmpdir(), 'ta-embedded-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

// No rate limits: the read loop beside the CLI is one client asking as fast as it can, and its subject is the shared database.
const serve = () => startServer(['bun', 'src/main.ts', 'serve'], { env: { DATA_DIR: dataDir, LOG_LEVEL: 'info', ...NO_RATE_LIMITS }, timeoutMs: 120_000 })

describe('embedded database', () => {
  test('boots, migrates, seeds demo data, answers, and persists across restarts', async () => {
    const first = await serve()
    let firstStopped = false
    try {
      expect(first.output()).toContain('embedded PGlite')
      expect(first.output()).toContain('migration applied')
      expect(first.output()).toContain('demo data seeded')
      expect((await fetch(`${first.baseUrl}/health`)).status).toBe(200)
      const ready = await fetch(`${first.baseUrl}/ready`)
      expect(ready.status).toBe(200)
      expect(await ready.json()).toEqual({ status: 'ready', database: 'up' })
      const videos = (await (await fetch(`${first.baseUrl}/videos?limit=5`)).json()) as { items: { id: string }[] }
      expect(videos.items).toHaveLength(5)
      // Both ways a search is ranked work on PGlite: a word from the postings the triggers filled
      // while seeding, an AND through the GIN index.
      for (const q of ['know', 'know time']) {
        const found = (await (await fetch(`${first.baseUrl}/search?q=${encodeURIComponent(q)}&limit=5`)).json()) as { items: { snippet: string }[] }
        expect({ q, hits: found.items.length }).toEqual({ q, hits: 5 })
        expect(found.items.every((h) => h.snippet.includes('<mark>know</mark>'))).toBe(true)
      }

      // A second server on the same DATA_DIR gets a clear error instead of corrupting it.
      const second = Bun.spawn(['bun', 'src/main.ts', 'serve'], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      expect(await second.exited).toBe(1)
      expect(await new Response(second.stderr).text()).toMatch(/DATA_DIR .* is in use by process \d+/)

      // Commands beside the running server use its database through the socket in DATA_DIR,
      // while the server keeps answering queries of its own.
      let loading = true
      const failures: number[] = []
      const load = (async () => {
        for (let i = 0; loading; i++) {
          const res = await fetch(`${first.baseUrl}/videos?limit=3&channel=nobody-${i}`)
          if (res.status !== 200) failures.push(res.status)
        }
      })()
      const cli = async (...args: string[]) => {
        const proc = Bun.spawn(['bun', 'src/main.ts', ...args], { env: { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'error' }, stdout: 'pipe', stderr: 'pipe' })
        const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
        return stdout.trim().split('\n')
      }
      try {
        expect(await cli('migrate')).toEqual(['database is up to date'])
        const created = await cli('users', 'create', '--email', 'first-admin@example.com', '--role', 'admin')
        expect(created[0]).toMatch(/^created user .* first-admin@example.com \(role admin/)
        const key = created.at(-1) ?? ''
        const users = await fetch(`${first.baseUrl}/admin/users`, { headers: { 'x-api-key': key } })
        expect(users.status).toBe(200)
        expect(JSON.stringify(await users.json())).toContain('first-admin@example.com')
        expect((await cli('users', 'list', '--email', 'first-admin@example.com')).at(-1)).toBe('1 user')
      } finally {
        loading = false
        await load
      }
      expect(failures).toEqual([])

      expect(await first.stop()).toBe(0)
      firstStopped = true
      const restarted = await serve()
      try {
        expect(restarted.output()).not.toContain('migration applied')
        expect(restarted.output()).not.toContain('demo data seeded')
        const again = (await (await fetch(`${restarted.baseUrl}/videos?limit=5`)).json()) as { items: { id: string }[] }
        expect(again.items.map((v) => v.id)).toEqual(videos.items.map((v) => v.id))
      } finally {
        expect(await restarted.stop()).toBe(0)
      }
    } finally {
      if (!firstStopped) await first.stop()
    }
  }, 240_000)
})
