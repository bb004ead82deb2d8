import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { createRedis, closeRedis, type RedisClient } from '../../src/platform/redis.ts'
import { quietLog } from './postgres.ts'
import { TieredCache, type CacheOptions } from '../../src/cache/tiered-cache.ts'

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Versions hashes tests leave in the shared Redis expire after this long. */
export const TEST_VERSIONS_TTL_SECONDS = 600

/** A unique key prefix per test, so tests sharing the real Redis never see each other's keys. */
export const uniquePrefix = () => `ta-test-${randomBytes(5).toString('hex')}`

export async function connectedRedis(url = REDIS_URL): Promise<RedisClient> {
  const client = createRedis(url, quietLog)
  for (let i = 0; i < 100 && !client.isReady; i++) await Bun.sleep(20)
  return client
}

/** A plain node-redis client, for tests that look at or change what the cache wrote (HGETALL, SCAN, …). */
export function rawRedis(url = REDIS_URL) {
  return createClient({ url }).connect()
}

export function cacheOptions(overrides: Partial<CacheOptions> = {}): CacheOptions {
  return {
    enabled: true,
    l1MaxBytes: 16 * 1024 * 1024,
    l1MaxEntryBytes: 1024 * 1024,
    l2TimeoutMs: 50,
    graceSeconds: 60,
    negativeTtlSeconds: 30,
    distributedLock: false,
    prefix: uniquePrefix(),
    busDownMaxAgeSeconds: 5,
    bookkeepingTtlSeconds: TEST_VERSIONS_TTL_SECONDS,
    ...overrides,
  }
}

/** A cache on its own Redis connection; close() releases both. */
export async function testCache(options: CacheOptions, redis?: RedisClient) {
  const client = redis ?? (await connectedRedis())
  const cache = new TieredCache(options, client, quietLog)
  await cache.start()
  return {
    cache,
    redis: client,
    async close() {
      await cache.close()
      if (!redis) await closeRedis(client)
    },
  }
}

/** redis-server exited at once: its port was taken. */
class PortTaken extends Error {}

/** A throwaway redis-server on its own port, which a test may stop and restart; `args` are extra server options. */
export async function privateRedis(args: string[] = []) {
  let port = 0
  let proc: ReturnType<typeof Bun.spawn> | undefined
  const start = async () => {
    const started = Bun.spawn(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdout: 'ignore', stderr: 'ignore' })
    proc = started
    for (let i = 0; i < 100; i++) {
      const ping = Bun.spawnSync(['redis-cli', '-p', String(port), 'ping'])
      if (ping.stdout.toString().includes('PONG')) return
      if (started.exitCode !== null) throw new PortTaken(`redis-server exited with ${started.exitCode} on port ${port}`)
      await Bun.sleep(20)
    }
    throw new Error('private redis did not start')
  }
  // Below Linux's ephemeral range (32768 and up), where the machine's own connections take ports;
  // a port another test took makes redis-server exit at once, so another is tried.
  for (let attempt = 1; ; attempt++) {
    port = 20000 + Math.floor(Math.random() * 12000)
    try {
      await start()
      break
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt === 5) throw err
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    /** Runs one command with redis-cli (FLUSHALL, CLIENT KILL, DEBUG SLEEP, CONFIG SET, …); its output. */
    cli: (...command: string[]) => Bun.spawnSync(['redis-cli', '-p', String(port), ...command]).stdout.toString().trim(),
    async stop() {
      proc?.kill('SIGKILL')
      await proc?.exited
    },
    /** Freezes the server: connections stay open but nothing is answered (a hung Redis). */
    pause: () => proc?.kill('SIGSTOP'),
    resume: () => proc?.kill('SIGCONT'),
  }
}
