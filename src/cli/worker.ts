import { createCache } from '../cache/create.ts'
import { resolveCachePrefix } from '../cache/prefix.ts'
import type { TieredCache } from '../cache/tiered-cache.ts'
import { ConfigError, type Config } from '../config.ts'
import { openDatabase } from '../platform/database.ts'
import { createQueryTimer } from '../platform/db-metrics.ts'
import { createMetrics } from '../platform/metrics.ts'
import { readDeploymentIdentity } from '../platform/deployment.ts'
import type { Logger } from '../platform/log.ts'
import { migrateDatabase } from '../platform/migrate-database.ts'
import { serveMetrics } from '../platform/metrics-server.ts'
import { closeRedis, createRedis, redisTopology } from '../platform/redis.ts'
import { startWorker } from '../worker/index.ts'
import { shellMissing } from '../worker/process-group.ts'
import { TranscriberCommandError, transcriberArgv } from '../worker/transcriber.ts'
import { integerOption, parseOptions } from './usage.ts'

const DEFAULT_GRACE_S = 30

/** Resolves on the first SIGTERM or SIGINT; `onRepeat` runs on any later one. */
function shutdownSignal(onRepeat: () => void): Promise<string> {
  return new Promise((resolve) => {
    let seen = false
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (seen) return onRepeat()
        seen = true
        resolve(signal)
      })
    }
  })
}

export async function workerCommand(args: string[], config: Config, log: Logger): Promise<void> {
  const opts = parseOptions('worker', args, {
    concurrency: { type: 'string', short: 'c' },
    'shutdown-grace': { type: 'string' },
    'poll-interval': { type: 'string' },
    'metrics-port': { type: 'string' },
  })
  const concurrency = integerOption('worker', 'concurrency', opts.concurrency, 1, 64, 1)
  const graceS = integerOption('worker', 'shutdown-grace', opts['shutdown-grace'], 0, 86_400, DEFAULT_GRACE_S)
  const pollMs = integerOption('worker', 'poll-interval', opts['poll-interval'], 10, 600_000, 1000)
  const metricsPort = opts['metrics-port'] === undefined ? undefined : integerOption('worker', 'metrics-port', opts['metrics-port'], 0, 65535)
  const noShell = shellMissing()
  if (noShell !== undefined) throw new Error(noShell)
  const command = config.TRANSCRIBE_CMD ?? ''
  let argv: string[]
  try {
    argv = transcriberArgv(command)
  } catch (err) {
    if (err instanceof TranscriberCommandError) throw new ConfigError('TRANSCRIBE_CMD', `a command that runs the transcriber (${err.message})`, command)
    throw err
  }

  // Listen before anything else: a SIGTERM during startup must still end in an orderly stop.
  let stopNow: () => void = () => {}
  const signal = shutdownSignal(() => stopNow())
  // Each loop holds at most one connection at a time; the sweep and stage updates need a spare.
  const db = await openDatabase({ ...config, DB_POOL_MAX: Math.max(config.DB_POOL_MAX, concurrency + 2) }, log, 'transcript-api worker')
  // The worker reads nothing through the cache; it only announces what its jobs changed, through the
  // same versions and bus as the servers. Without Redis they see results after their TTLs.
  const topology = redisTopology(config)
  const redis = topology ? createRedis(topology, log) : undefined
  if (!redis) log.warn('no Redis is configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES): servers will see finished jobs only when their cached copies expire')
  let cache: TieredCache | undefined
  const metrics = createMetrics()
  const timed = createQueryTimer({ metrics, log, slowQueryMs: config.DB_SLOW_QUERY_MS, poolMax: db.poolMax })
  const metricsServer = metricsPort !== undefined && config.ENABLE_METRICS ? serveMetrics(metrics.registry, config.HOST, metricsPort, config.METRICS_TOKEN) : undefined
  if (metricsServer) log.info('worker metrics', { url: `http://${config.HOST}:${metricsServer.port}/metrics` })
  try {
    await migrateDatabase(db, config, log)
    if (redis) {
      cache = createCache(config, redis, log, resolveCachePrefix(config, await readDeploymentIdentity(db.sql)))
      await cache.start()
    }
    const worker = startWorker({
      sql: db.sql,
      log,
      argv,
      concurrency,
      maxAttempts: config.WORKER_MAX_ATTEMPTS,
      stuckAfterSeconds: config.WORKER_STUCK_AFTER,
      retryBackoff: { baseMs: config.WORKER_RETRY_BASE * 1000, maxMs: config.WORKER_RETRY_MAX * 1000 },
      pollIntervalMs: pollMs,
      invalidate: (scopes) => cache?.invalidate(scopes) ?? Promise.resolve(),
      metrics,
      timed,
    })
    // A second signal skips the rest of the grace period: held jobs are released at once.
    stopNow = () => void worker.stop(0)
    log.info('worker shutting down', { signal: await signal })
    await worker.stop(graceS * 1000)
  } finally {
    await metricsServer?.stop()
    if (cache && !(await cache.settle(2000))) log.warn('stopping with cache invalidations Redis never received: servers keep their copies until they expire')
    await cache?.close()
    if (redis) await closeRedis(redis)
    await db.close()
  }
}
