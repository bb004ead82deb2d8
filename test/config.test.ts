import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig, secretValues } from '../src/config.ts'

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
    expect(c.L1_MAX_BYTES).toBe(128 * 1024 * 1024)
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
    ['REDIS_SENTINELS', 'sentinel-1', /REDIS_SENTINELS must be a comma list of host:port/],
    ['REDIS_SENTINELS', '10.0.0.1:26379,10.0.0.2:99999', /REDIS_SENTINELS must be a comma list of host:port/],
    ['REDIS_CLUSTER_NODES', 'redis://node-1:6379', /REDIS_CLUSTER_NODES must be a comma list of host:port/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of debug, info, warn, error/],
  ])('%s=%s is rejected', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError)
    expect(() => loadConfig({ [name]: value })).toThrow(message)
  })

  test('Redis: sentinels and cluster nodes are host:port lists; the three ways to reach Redis exclude each other', () => {
    const sentinel = loadConfig({ REDIS_SENTINELS: 'sentinel-1:26379, 10.0.0.2:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'cache' })
    expect(sentinel.REDIS_SENTINELS).toEqual([
      { host: 'sentinel-1', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '::1', port: 26381 },
    ])
    expect(sentinel.REDIS_SENTINEL_NAME).toBe('cache')
    expect(loadConfig({}).REDIS_SENTINEL_NAME).toBe('mymaster')
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'node-1:7000,node-2:7001' }).REDIS_CLUSTER_NODES).toEqual([
      { host: 'node-1', port: 7000 },
      { host: 'node-2', port: 7001 },
    ])
    expect(() => loadConfig({ REDIS_URL: 'redis://cache:6379', REDIS_SENTINELS: 's:26379' })).toThrow(
      'REDIS_SENTINELS must be unset when REDIS_URL is set (REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other)',
    )
    expect(() => loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'n:7000' })).toThrow('REDIS_CLUSTER_NODES must be unset when REDIS_SENTINELS is set')
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'n:7000', CACHE_PREFIX: 'team{a}' })).toThrow('CACHE_PREFIX must be free of { and } with REDIS_CLUSTER_NODES')
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379', CACHE_PREFIX: 'team{a}' }).CACHE_PREFIX).toBe('team{a}')
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

describe('secrets stay secret', () => {
  const long = 'a'.repeat(32)

  test.each(['SESSION_SECRET', 'ADMIN_TOKEN', 'METRICS_TOKEN'])('%s needs 32+ characters and a rejected value is shown by its length only', (name) => {
    expect(loadConfig({ [name]: long })[name as 'ADMIN_TOKEN']).toBe(long)
    const err = (() => {
      try {
        loadConfig({ [name]: 'hunter2-secret' })
      } catch (e) {
        return e as ConfigError
      }
      throw new Error('accepted a 14-character secret')
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect(err.message).toBe(`${name} must be a string of at least 32 characters (e.g. \`openssl rand -base64 48\`) (got 14 characters)`)
    expect(JSON.stringify(err)).not.toContain('hunter2')
  })

  test('a rejected URL is shown with its password masked, also when the URL does not parse', () => {
    for (const [name, value, shown] of [
      ['DATABASE_URL', 'postgres://app:hunter2-pass@db:notaport/x', 'postgres://app:***@db:notaport/x'],
      ['DATABASE_URL', 'postgres://app:pa#ss/w@rd@db/x', 'postgres://app:***@db/x'],
      ['REDIS_URL', 'redis://:hunter2-pass@cache:port/0', 'redis://:***@cache:port/0'],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(`(got ${JSON.stringify(shown)})`)
    }
  })

  test('secretValues lists flagged variables and URL passwords (as written and decoded)', () => {
    const config = loadConfig({
      ADMIN_TOKEN: long,
      DATABASE_URL: 'postgres://app:p%40ss-word@db/x',
      REDIS_URL: 'redis://cache:6379',
      GOOGLE_CLIENT_ID: 'client-id',
      GOOGLE_CLIENT_SECRET: 'google-client-secret',
      SESSION_SECRET: 'b'.repeat(40),
    })
    expect(secretValues(config).sort()).toEqual([long, 'b'.repeat(40), 'google-client-secret', 'p%40ss-word', 'p@ss-word'].sort())
  })

  test('the process prints one config error line without the secret (exit 2)', async () => {
    for (const [name, value] of [
      ['SESSION_SECRET', 'hunter2-secret'],
      ['DATABASE_URL', 'postgres://app:hunter2-pass@db:notaport/x'],
    ] as const) {
      const proc = Bun.spawn(['bun', 'src/main.ts', 'migrate'], { env: { PATH: process.env.PATH, [name]: value }, stdout: 'pipe', stderr: 'pipe' })
      expect(await proc.exited).toBe(2)
      const out = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text())
      expect(out.trim().split('\n')).toHaveLength(1)
      expect(out).toContain(`config error: ${name} must be`)
      expect(out).not.toContain('hunter2')
    }
  })
})
