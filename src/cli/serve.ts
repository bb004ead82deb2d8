import { createApp } from '../app.ts'
import { createCache } from '../cache/create.ts'
import { resolveCachePrefix } from '../cache/prefix.ts'
import type { TieredCache } from '../cache/tiered-cache.ts'
import type { Config } from '../config.ts'
import { readCursorSecret } from '../http/cursor-codec.ts'
import { jsonError } from '../http/errors.ts'
import { EventBatcher } from '../modules/events/batcher.ts'
import { openDatabase } from '../platform/database.ts'
import { configureQueryMetrics } from '../platform/db-metrics.ts'
import { readDeploymentIdentity } from '../platform/deployment.ts'
import { errorFields, type Logger } from '../platform/log.ts'
import { migrate } from '../platform/migrate.ts'
import { MIGRATION_FILES } from '../platform/migration-files.ts'
import { closeRedis, createRedis } from '../platform/redis.ts'
import { DEMO_SEED, hasVideos, seedDatabase } from '../seed/index.ts'
import { parseOptions } from './usage.ts'

const SHUTDOWN_GRACE_MS = 10_000
/** At shutdown, how long invalidations that could not reach Redis yet may still try. */
const ANNOUNCE_GRACE_MS = 2_000
/** Keep-alive connections idle this long are closed (Elysia's own default). */
const IDLE_TIMEOUT_SECONDS = 30

/** Resolves on the first SIGTERM or SIGINT. */
function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal))
  })
}

export async function serveCommand(args: string[], config: Config, log: Logger): Promise<void> {
  parseOptions('serve', args, {})
  const signal = shutdownSignal()
  const db = await openDatabase(config, log, 'transcript-api')
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, log) : undefined
  let cache: TieredCache | undefined
  // Usage events recorded off the request path; written out after the last request at shutdown.
  const events = new EventBatcher(db.sql, log)
  configureQueryMetrics({ slowQueryMs: config.DB_SLOW_QUERY_MS, poolMax: db.poolMax, log })
  try {
    await migrate(db.sql, MIGRATION_FILES, log)
    if (db.kind === 'embedded' && config.SEED_DEMO && !(await hasVideos(db.sql))) {
      log.info('empty embedded database: seeding demo data (SEED_DEMO=false turns this off)')
      const counts = await seedDatabase(db.sql, DEMO_SEED)
      log.info('demo data seeded', { ...counts })
    }
    const prefix = resolveCachePrefix(config, await readDeploymentIdentity(db.sql))
    cache = createCache(config, redis, log, prefix)
    await cache.start()
    if (redis) log.info('cache: L1 and Redis', { prefix, bus_trusted: cache.busTrusted })
    const cursorSecret = await readCursorSecret(db.sql)
    const { app, fetch } = createApp({ config, sql: db.sql, redis, cache, log, events, cursorSecret })
    const server = Bun.serve({
      port: config.PORT,
      hostname: config.HOST,
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      // Never Bun's development error page (it shows the stack): the router answers its own errors,
      // and anything thrown before it is a plain JSON 500.
      development: false,
      fetch,
      error(err) {
        log.error('unhandled error', errorFields(err))
        return jsonError(500, 'internal_error', 'internal server error')
      },
    })
    // Handlers read the server from their context (the client address of a sign-in).
    app.server = server
    log.info('listening', { url: `http://${config.HOST}:${server.port}`, swagger: `http://${config.HOST}:${server.port}/swagger` })

    log.info('shutting down', { signal: await signal })
    // stop(false) stops accepting and resolves once in-flight requests have finished.
    const drained = await Promise.race([server.stop(false).then(() => true), Bun.sleep(SHUTDOWN_GRACE_MS).then(() => false)])
    if (!drained) {
      log.warn('in-flight requests still running after the grace period; closing them')
      await server.stop(true)
    }
  } finally {
    await events.close()
    if (cache && !(await cache.settle(ANNOUNCE_GRACE_MS))) log.warn('stopping with cache invalidations Redis never received: other instances keep their copies until they expire')
    await cache?.close()
    if (redis) await closeRedis(redis)
    await db.close()
  }
  log.info('stopped')
}
