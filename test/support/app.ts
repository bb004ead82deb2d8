import { createApp } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import type { Sql } from '../../src/platform/db.ts'
import type { RedisClient } from '../../src/platform/redis.ts'
import { quietLog } from './postgres.ts'

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'error', ...env })
}

export function testApp(sql: Sql, options: { redis?: RedisClient; env?: Record<string, string> } = {}) {
  const app = createApp({ config: testConfig(options.env), sql, redis: options.redis, log: quietLog })
  return {
    app,
    request: (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init)),
  }
}
