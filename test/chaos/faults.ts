import type { Random } from '../../src/seed/prng.ts'
import type { privateRedis } from '../support/redis.ts'
import type { FaultRecord } from './history.ts'

// The faults a Redis of a deployment meets in production, injected for real into the suite's own
// redis-server: a crash and restart without persistence, FLUSHALL, the loss of the bookkeeping
// key (the versions hash is the only one: values and locks may vanish without harm), a killed
// pub/sub connection, a server that stalls, and memory pressure that evicts keys.

type PrivateRedis = Awaited<ReturnType<typeof privateRedis>>

export const FAULT_KINDS = ['restart', 'flushall', 'del-versions', 'kill-pubsub', 'debug-sleep', 'evict'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** redis-cli without blocking the test's event loop (DEBUG SLEEP holds the client for its duration). */
async function cli(port: number, ...command: string[]): Promise<string> {
  const proc = Bun.spawn(['redis-cli', '-p', String(port), ...command], { stdout: 'pipe', stderr: 'pipe' })
  const [out] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
  return out.trim()
}

export async function injectFault(kind: FaultKind, redis: PrivateRedis, prefix: string, random: Random): Promise<FaultRecord> {
  const start = performance.now()
  switch (kind) {
    case 'restart':
      await redis.stop() // SIGKILL: no persistence, everything is gone
      await Bun.sleep(random.int(100, 800))
      await redis.start()
      break
    case 'flushall':
      await cli(redis.port, 'FLUSHALL')
      break
    case 'del-versions':
      await cli(redis.port, 'DEL', `${prefix}:versions`)
      break
    case 'kill-pubsub':
      await cli(redis.port, 'CLIENT', 'KILL', 'TYPE', 'pubsub')
      break
    case 'debug-sleep':
      await cli(redis.port, 'DEBUG', 'SLEEP', '0.2')
      break
    case 'evict':
      // Far below what the server holds: every write evicts (allkeys-lru), some are refused (OOM).
      await cli(redis.port, 'CONFIG', 'SET', 'maxmemory', '1mb')
      await Bun.sleep(random.int(300, 1000))
      await cli(redis.port, 'CONFIG', 'SET', 'maxmemory', '0')
      break
  }
  return { kind, start, end: performance.now() }
}
