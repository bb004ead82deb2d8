import { RATE_VARIABLES } from '../../src/http/rate-limit.ts'
import { randomBytes } from 'node:crypto'
import { createApp, type AppDeps } from '../../src/app.ts'
import { CursorCodec } from '../../src/http/cursor-codec.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import type { Sql } from '../../src/platform/db.ts'
import type { RedisClient } from '../../src/platform/redis.ts'
import { createCache } from '../../src/cache/create.ts'
import { createQueryTimer } from '../../src/platform/db-metrics.ts'
import type { Logger } from '../../src/platform/log.ts'
import { createMetrics } from '../../src/platform/metrics.ts'
import { quietLog } from './postgres.ts'
import { TEST_VERSIONS_TTL_SECONDS, uniquePrefix } from './redis.ts'

/**
 * What in-process test apps sign cursors with (servers read theirs from the database: the
 * cursor-secret tests do that). One per test process, so instances of a suite share it.
 */
export const TEST_CURSOR_SECRET = randomBytes(32).toString('hex')
/** Signs cursors as testApp's apps do: tests forge hand-made cursors with it. */
export const testCursors = new CursorCodec(TEST_CURSOR_SECRET)

/**
 * Rate limits off for in-process apps: without a socket every request is the same unknown client, so
 * suites sending thousands of requests would test the limiter instead of their subject. The limits
 * are tested on real server processes (test/rate-limits.test.ts); a suite may still set them.
 */
export const NO_RATE_LIMITS: Record<string, string> = Object.fromEntries(Object.values(RATE_VARIABLES).map((name) => [name, '0']))

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'error', CACHE_VERSIONS_TTL: String(TEST_VERSIONS_TTL_SECONDS), ...NO_RATE_LIMITS, ...env })
}

/**
 * The app in-process on a test database. Its cache is L1-only unless a Redis client is given, and
 * uses a fresh key prefix (unless told one, to share it with another instance), so suites never
 * share cached values.
 */
export function testApp(
  sql: Sql,
  options: { redis?: RedisClient; env?: Record<string, string>; cachePrefix?: string; log?: Logger } & Pick<AppDeps, 'metrics' | 'timed'> = {},
) {
  const config = testConfig(options.env)
  const cache = createCache(config, options.redis, quietLog, options.cachePrefix ?? uniquePrefix())
  const { app, fetch, policies, fastPath, metrics, edge } = createApp({ config, sql, redis: options.redis, cache, log: options.log ?? quietLog, cursorSecret: TEST_CURSOR_SECRET, metrics: options.metrics, timed: options.timed })
  return {
    app,
    policies,
    fastPath,
    edge,
    metrics,
    cache,
    fetch,
    /** Through the fast lane and then the router, as Bun.serve calls them. */
    request: async (path: string, init?: RequestInit) => fetch(new Request(`http://localhost${path}`, init)),
  }
}

/** How tests outside an app run timed queries (an event batcher of their own): into metrics of their own. */
export const testTimed = () => createQueryTimer({ metrics: createMetrics(), log: quietLog, slowQueryMs: 100, poolMax: 10 })
