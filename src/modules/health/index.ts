import { Type } from '@sinclair/typebox'
import { Elysia, t } from 'elysia'
import { NO_STORE } from '../../http/cache-policy.ts'
import { operation } from '../../http/openapi-operation.ts'
import { routeOptions } from '../../http/route-options.ts'
import { pingDatabase, type Sql } from '../../platform/db.ts'
import type { DatabaseBreaker } from '../../platform/db-breaker.ts'
import { pingRedis, type RedisClient } from '../../platform/redis.ts'
import { APP_VERSION } from '../../version.ts'

const PROBE_TIMEOUT_MS = 1000

const State = t.Union([t.Literal('up'), t.Literal('down')])
const Dependencies = { database: State, redis: t.Optional(State) }
const up = (ok: boolean) => (ok ? ('up' as const) : ('down' as const))

const HealthSchema = t.Object({ status: t.Literal('ok'), version: t.String(), uptime_seconds: Type.Integer({ minimum: 0 }) }, { title: 'Health' })
const ReadySchema = t.Object({ status: t.Union([t.Literal('ready'), t.Literal('degraded')]), ...Dependencies }, { title: 'Ready' })
const UnreadySchema = t.Object(
  { error: t.Object({ code: t.Literal('database_unavailable'), message: t.String() }), status: t.Literal('unavailable'), ...Dependencies },
  { title: 'Unready', description: 'the database is unreachable' },
)

export function healthRoutes(deps: { sql: Sql; redis: RedisClient | undefined; breaker?: DatabaseBreaker | undefined }) {
  return new Elysia({ name: 'health' })
    .use(routeOptions())
    .get('/health', () => ({ status: 'ok' as const, version: APP_VERSION, uptime_seconds: Math.floor(process.uptime()) }), {
      cachePolicy: NO_STORE,
      detail: operation({ tags: ['health'], summary: 'Liveness: the process is up and serving (touches no dependency)', ok: { 200: HealthSchema }, noDatabase: true }),
    })
    .get(
      '/ready',
      async ({ status }) => {
        const [db, redis] = await Promise.all([
          pingDatabase(deps.sql, PROBE_TIMEOUT_MS, deps.breaker),
          deps.redis ? pingRedis(deps.redis, PROBE_TIMEOUT_MS) : Promise.resolve(undefined),
        ])
        const states = { database: up(db), ...(redis === undefined ? {} : { redis: up(redis) }) }
        // Without Redis the server still answers everything (from L1 and the database): degraded, not unready.
        if (db) return { status: redis === false ? ('degraded' as const) : ('ready' as const), ...states }
        return status(503, {
          error: { code: 'database_unavailable', message: 'the database is unreachable: requests that need it answer 503' },
          status: 'unavailable' as const,
          ...states,
        })
      },
      {
        cachePolicy: NO_STORE,
        detail: operation({
          tags: ['health'],
          summary: 'Readiness: 200 while the server can serve (naming degraded dependencies), 503 only when the database is unreachable',
          ok: { 200: ReadySchema, 503: UnreadySchema },
          // Its 503 is the body above, not the plain error.
          noDatabase: true,
        }),
      },
    )
}
