import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from './support/server-process.ts'

// With DATABASE_URL unset the server runs PGlite in DATA_DIR: boots, migrates, seeds, answers,
// keeps its data across restarts, and refuses a second process on the same directory.

const dataDir = mkdtempSync(join(tmpdir(), 'ta-embedded-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

const serve = () => startServer(['bun', 'src/main.ts', 'serve'], { env: { DATA_DIR: dataDir, LOG_LEVEL: 'info' }, timeoutMs: 120_000 })

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

      // A second process on the same DATA_DIR gets a clear error instead of corrupting it.
      const second = Bun.spawn(['bun', 'src/main.ts', 'migrate'], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      expect(await second.exited).toBe(1)
      expect(await new Response(second.stderr).text()).toMatch(/DATA_DIR .* is in use by process \d+/)

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
