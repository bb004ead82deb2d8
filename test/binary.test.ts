import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtBinary } from './support/binary.ts'
import { startServer } from './support/server-process.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'

// The compiled binary, copied alone into an empty directory, must start in both modes: its
// migrations, PGlite files and Swagger UI assets all live inside it.

const runDir = mkdtempSync(join(tmpdir(), 'ta-run-'))
const binary = join(runDir, 'transcript-api')
let db: TestDatabase

beforeAll(async () => {
  copyFileSync(await builtBinary(), binary)
  await Bun.$`chmod +x ${binary}`
  db = await createTestDatabase()
}, 180_000)

afterAll(async () => {
  await db?.drop()
  rmSync(runDir, { recursive: true, force: true })
})

async function checkServes(baseUrl: string) {
  expect((await fetch(`${baseUrl}/health`)).status).toBe(200)
  const page = await fetch(`${baseUrl}/swagger`)
  expect(page.status).toBe(200)
  const html = await page.text()
  const script = /src="([^"]+)"/.exec(html)?.[1]
  expect(script).toStartWith('/swagger/assets/')
  expect((await fetch(`${baseUrl}${script}`)).status).toBe(200)
  expect((await fetch(`${baseUrl}/swagger/json`)).status).toBe(200)
}

describe('single binary', () => {
  test('--help and version work from an empty directory', async () => {
    expect(readdirSync(runDir)).toEqual(['transcript-api'])
    const help = Bun.spawn([binary, '--help'], { cwd: runDir, stdout: 'pipe' })
    expect(await help.exited).toBe(0)
    expect(await new Response(help.stdout).text()).toContain('DATABASE_URL')
  })

  test('starts in embedded mode, answers /health and /swagger, exits 0 on SIGTERM', async () => {
    const started = performance.now()
    const server = await startServer([binary, 'serve'], { cwd: runDir, env: { LOG_LEVEL: 'info' }, timeoutMs: 120_000 })
    try {
      expect(server.output()).toContain('embedded PGlite')
      await checkServes(server.baseUrl)
      console.log(`binary cold start (embedded, fresh DATA_DIR incl. demo seed) to a 200 on /health: ${Math.round(performance.now() - started)} ms`)
    } finally {
      expect(await server.stop()).toBe(0)
    }
    expect(readdirSync(runDir).sort()).toEqual(['data', 'transcript-api'])
  }, 180_000)

  test('starts in external mode with DATABASE_URL and exits 0 on SIGTERM', async () => {
    const started = performance.now()
    const server = await startServer([binary], { cwd: runDir, env: { DATABASE_URL: db.url, LOG_LEVEL: 'info' } })
    try {
      expect(server.output()).toContain('external PostgreSQL')
      await checkServes(server.baseUrl)
      console.log(`binary cold start (external PostgreSQL, fresh database) to a 200 on /health: ${Math.round(performance.now() - started)} ms`)
    } finally {
      expect(await server.stop()).toBe(0)
    }
  }, 120_000)

  test('reads its configuration from the environment only: a .env in the working directory is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ta-dotenv-'))
    try {
      // Loaded, this would stop it with a config error (exit 2).
      writeFileSync(join(dir, '.env'), 'PORT=not-a-port\n')
      const proc = Bun.spawn([binary, 'migrate', '--status'], { cwd: dir, env: { PATH: process.env.PATH, DATABASE_URL: db.url }, stdout: 'pipe', stderr: 'pipe' })
      const [code, out] = await Promise.all([proc.exited, new Response(proc.stdout).text()])
      expect({ code, err: code === 0 ? '' : await new Response(proc.stderr).text() }).toEqual({ code: 0, err: '' })
      expect(out).toMatch(/\d+ applied, \d+ pending/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
