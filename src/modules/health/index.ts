import { Elysia, t } from 'elysia'
import { pingDatabase, type Sql } from '../../platform/db.ts'
import { pingRedis, type RedisClient } from '../../platform/redis.ts'

const PROBE_TIMEOUT_MS = 1000

const Checks = t.Record(t.String(), t.Union([t.Literal('up'), t.Literal('down')]))

export function healthRoutes(deps: { sql: Sql; redis: RedisClient | undefined }) {
  return new Elysia({ name: 'health' })
    .get('/health', () => ({ status: 'ok' as const }), {
      detail: { tags: ['health'], summary: 'Liveness: the process is up and serving' },
      response: { 200: t.Object({ status: t.Literal('ok') }) },
    })
    .get(
      '/ready',
      async ({ status }) => {
        const [db, redis] = await Promise.all([
          pingDatabase(deps.sql, PROBE_TIMEOUT_MS),
          deps.redis ? pingRedis(deps.redis, PROBE_TIMEOUT_MS) : Promise.resolve(undefined),
        ])
        const checks: Record<string, 'up' | 'down'> = { database: db ? 'up' : 'down' }
        if (redis !== undefined) checks.redis = redis ? 'up' : 'down'
        const down = Object.keys(checks).filter((k) => checks[k] === 'down')
        if (down.length === 0) return { status: 'ready' as const, checks }
        return status(503, {
          error: { code: 'not_ready', message: `${down.join(' and ')} ${down.length > 1 ? 'are' : 'is'} down` },
          checks,
        })
      },
      {
        detail: { tags: ['health'], summary: 'Readiness: the database (and Redis, when configured) answer' },
        response: {
          200: t.Object({ status: t.Literal('ready'), checks: Checks }),
          503: t.Object({ error: t.Object({ code: t.String(), message: t.String() }), checks: Checks }),
        },
      },
    )
}
