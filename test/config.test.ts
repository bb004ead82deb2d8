import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../src/config.ts'

describe('config', () => {
  test('defaults', () => {
    const c = loadConfig({})
    expect(c.PORT).toBe(8000)
    expect(c.DATA_DIR).toBe('./data')
    expect(c.DATABASE_URL).toBeUndefined()
    expect(c.CACHE_VIDEO_TTL).toBe(300)
    expect(c.CACHE_TRANSCRIPT_TTL).toBe(3600)
    expect(c.CACHE_SEARCH_TTL).toBe(600)
    expect(c.CACHE_SESSION_TTL).toBe(3600)
    expect(c.L1_MAX_BYTES).toBe(64 * 1024 * 1024)
    expect(c.ENABLE_CACHING).toBe(true)
    expect(c.SEED_DEMO).toBe(true)
    expect(c.LOG_LEVEL).toBe('info')
  })

  test('parses valid values', () => {
    const c = loadConfig({ PORT: '9000', ENABLE_CACHING: 'false', DATABASE_URL: 'postgres://u@h:5432/db', LOG_LEVEL: 'warn' })
    expect(c.PORT).toBe(9000)
    expect(c.ENABLE_CACHING).toBe(false)
    expect(c.DATABASE_URL).toBe('postgres://u@h:5432/db')
    expect(c.LOG_LEVEL).toBe('warn')
  })

  test.each([
    ['PORT', 'abc', /PORT must be an integer from 0 to 65535/],
    ['PORT', '70000', /PORT must be an integer/],
    ['CACHE_VIDEO_TTL', '-5', /CACHE_VIDEO_TTL must be an integer from 1/],
    ['ENABLE_CACHING', 'maybe', /ENABLE_CACHING must be true or false/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must be a URL starting with postgres:/],
    ['REDIS_URL', 'not a url', /REDIS_URL must be a URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of debug, info, warn, error/],
  ])('%s=%s is rejected', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ [name]: value })).toThrow(message)
  })

  test('an invalid value stops the process with exit code 2 and one line naming the variable', async () => {
    for (const [name, value] of [
      ['PORT', 'abc'],
      ['CACHE_VIDEO_TTL', '-5'],
    ] as const) {
      const proc = Bun.spawn(['bun', 'src/main.ts', 'migrate'], { env: { ...process.env, [name]: value }, stdout: 'pipe', stderr: 'pipe' })
      expect(await proc.exited).toBe(2)
      const stderr = (await new Response(proc.stderr).text()).trim()
      expect(stderr.split('\n')).toHaveLength(1)
      expect(stderr).toContain(name)
      expect(stderr).toContain('must be')
    }
  })

  test('--help lists commands and every variable', async () => {
    const proc = Bun.spawn(['bun', 'src/main.ts', '--help'], { stdout: 'pipe' })
    const out = await new Response(proc.stdout).text()
    expect(await proc.exited).toBe(0)
    for (const word of ['serve', 'migrate', 'seed', 'PORT', 'DATABASE_URL', 'DATA_DIR', 'REDIS_URL', 'L1_MAX_BYTES', 'SEED_DEMO'])
      expect(out).toContain(word)
  })

  test('an unknown command is a usage error (exit 2)', async () => {
    const proc = Bun.spawn(['bun', 'src/main.ts', 'frobnicate'], { stdout: 'pipe', stderr: 'pipe' })
    expect(await proc.exited).toBe(2)
    expect(await new Response(proc.stderr).text()).toContain('unknown command')
  })
})
