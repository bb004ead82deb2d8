import type { Server } from 'bun'
import { createApp } from '../app.ts'
import { createCache } from '../cache/create.ts'
import { resolveCachePrefix } from '../cache/prefix.ts'
import { ReplicaReads } from '../cache/replica-reads.ts'
import type { TieredCache } from '../cache/tiered-cache.ts'
import type { Config } from '../config.ts'
import { readCursorSecret } from '../http/cursor-codec.ts'
import { UNKNOWN_CLIENT } from '../http/client-ip.ts'
import { jsonError } from '../http/errors.ts'
import { EventBatcher } from '../modules/events/batcher.ts'
import { guardDatabase, openDatabase } from '../platform/database.ts'
import { createQueryTimer } from '../platform/db-metrics.ts'
import { createMetrics } from '../platform/metrics.ts'
import { readDeploymentIdentity } from '../platform/deployment.ts'
import { guardHeap } from '../platform/heap-guard.ts'
import { errorFields, type Logger } from '../platform/log.ts'
import { migrateDatabase } from '../platform/migrate-database.ts'
import { closeRedis, createRedis, redisTopology } from '../platform/redis.ts'
import { ReplicaSet } from '../platform/replica-set.ts'
import type { Sql } from '../platform/db.ts'
import { DEMO_SEED, hasVideos, seedDatabase } from '../seed/index.ts'
import { parseOptions } from './usage.ts'

const SHUTDOWN_GRACE_MS = 10_000
/** At shutdown, how long invalidations that could not reach Redis yet may still try. */
const ANNOUNCE_GRACE_MS = 2_000
/** A signal during startup: what was opened so far gets this long to close, then the process exits. */
const STARTUP_ABORT_MS = 1500
/** Keep-alive connections idle this long are closed (Elysia's own default). */
const IDLE_TIMEOUT_SECONDS = 30

/** Resolves on the first SIGTERM or SIGINT. */
function shutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal))
  })
}

/** What startup opened, closed in reverse order at shutdown. */
class Opened {
  private readonly closers: (() => Promise<void>)[] = []

  constructor(private readonly log: Logger) {}

  add(close: () => Promise<void>): void {
    this.closers.push(close)
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) {
      await close().catch((err: unknown) => this.log.warn('error while shutting down', errorFields(err)))
    }
  }
}

/** DATABASE_REPLICA_URLS for cache fills, polled once before serving (watching the cache's versions before it syncs). */
async function openReplicaReads(config: Config, primary: Sql, cache: TieredCache, log: Logger, opened: Opened): Promise<ReplicaReads | undefined> {
  if (!config.DATABASE_URL || !config.DATABASE_REPLICA_URLS) return undefined
  const replicas = new ReplicaSet({
    primaryUrl: config.DATABASE_URL,
    urls: config.DATABASE_REPLICA_URLS,
    maxLagMs: config.DB_REPLICA_MAX_LAG_MS,
    poolMax: config.DB_POOL_MAX,
    poolMode: config.DB_POOL_MODE,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    log,
  })
  opened.add(() => replicas.close())
  const statementTimeoutMs = config.DB_STATEMENT_TIMEOUT_MS
  const reads = new ReplicaReads(primary, replicas, cache, log, statementTimeoutMs > 0 ? statementTimeoutMs / 2 : undefined)
  opened.add(async () => reads.close())
  await replicas.start()
  log.info('database: read replicas for cache fills', {
    replicas: replicas.replicas.map((r) => `${r.name} ${r.status}`),
    max_lag_ms: config.DB_REPLICA_MAX_LAG_MS,
  })
  return reads
}

/** Database (waiting for it), migrations, demo data, cache, then the listening server. */
async function start(config: Config, log: Logger, opened: Opened): Promise<Server<undefined>> {
  const db = await openDatabase(config, log, 'transcript-api', { statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS, ownEmbedded: true })
  opened.add(() => db.close())
  const topology = redisTopology(config)
  const redis = topology ? createRedis(topology, log) : undefined
  if (redis) opened.add(() => closeRedis(redis))
  await migrateDatabase(db, config, log)
  if (db.kind === 'embedded' && config.SEED_DEMO && !(await hasVideos(db.sql))) {
    log.info('empty embedded database: seeding demo data (SEED_DEMO=false turns this off)')
    const counts = await seedDatabase(db.sql, DEMO_SEED)
    log.info('demo data seeded', { ...counts })
  }
  const prefix = resolveCachePrefix(config, await readDeploymentIdentity(db.sql))
  const cache = createCache(config, redis, log, prefix)
  const stopHeapGuard = guardHeap(() => cache.stats.l1Evictions)
  opened.add(async () => stopHeapGuard())
  opened.add(async () => {
    if (!(await cache.settle(ANNOUNCE_GRACE_MS))) log.warn('stopping with cache invalidations Redis never received: other instances keep their copies until they expire')
    await cache.close()
  })
  const replicaReads = await openReplicaReads(config, db.sql, cache, log, opened)
  await cache.start()
  if (redis) log.info('cache: L1 and Redis', { redis: redis.kind, prefix, bus_trusted: cache.busTrusted })
  // One metrics object for this server: the breaker, the query timer and the app record into it.
  const metrics = createMetrics()
  const guard = guardDatabase(config, log, metrics)
  opened.add(guard.stop)
  const timed = createQueryTimer({ metrics, log, slowQueryMs: config.DB_SLOW_QUERY_MS, poolMax: db.poolMax, breaker: guard.breaker })
  // Usage events recorded off the request path; written out after the last request at shutdown.
  const events = new EventBatcher(db.sql, log, timed)
  opened.add(() => events.close())
  const cursorSecret = await readCursorSecret(db.sql)
  const { app, fetch, edge } = createApp({ config, sql: db.sql, redis, cache, log, events, cursorSecret, metrics, timed, breaker: guard.breaker, replicaReads })
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
      // No request to go by here: the security headers and a new request id all the same.
      return edge.finish(jsonError(500, 'internal_error', 'internal server error'), edge.orphan(UNKNOWN_CLIENT))
    },
  })
  // Handlers read the server from their context (the client address of a sign-in).
  app.server = server
  log.info('listening', { url: `http://${config.HOST}:${server.port}`, swagger: `http://${config.HOST}:${server.port}/swagger` })
  return server
}

export async function serveCommand(args: string[], config: Config, log: Logger): Promise<void> {
  parseOptions('serve', args, {})
  const signal = shutdownSignal()
  const opened = new Opened(log)
  const starting = start(config, log, opened)
  // After a signal wins the race below, startup may still fail in the background: not unhandled.
  starting.catch(() => {})
  try {
    const first = await Promise.race([starting, signal])
    if (typeof first === 'string') {
      log.info('shutting down during startup', { signal: first })
      await Promise.race([opened.close(), Bun.sleep(STARTUP_ABORT_MS)])
      log.info('stopped')
      return
    }
    log.info('shutting down', { signal: await signal })
    // stop(false) stops accepting and resolves once in-flight requests have finished.
    const drained = await Promise.race([first.stop(false).then(() => true), Bun.sleep(SHUTDOWN_GRACE_MS).then(() => false)])
    if (!drained) {
      log.warn('in-flight requests still running after the grace period; closing them')
      await first.stop(true)
    }
    await opened.close()
  } catch (err) {
    await opened.close()
    throw err
  }
  log.info('stopped')
}
