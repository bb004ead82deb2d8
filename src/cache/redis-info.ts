import type { RedisClient } from '../platform/redis.ts'
import { withTimeout } from './with-timeout.ts'

// Redis server facts for the operators' cache statistics, read with a bounded wait. In a cluster
// they add up over the primaries (memory, keys, clients); uptime is the youngest primary's.

export interface RedisInfo {
  available: boolean
  used_memory: string | null
  total_keys: number | null
  connected_clients: number | null
  uptime_seconds: number | null
}

const UNAVAILABLE: RedisInfo = { available: false, used_memory: null, total_keys: null, connected_clients: null, uptime_seconds: null }

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim()
}

export async function readRedisInfo(client: RedisClient | undefined, timeoutMs: number): Promise<RedisInfo> {
  if (!client?.isReady) return UNAVAILABLE
  try {
    const primaries = await withTimeout(client.primaries(), timeoutMs)
    if (primaries.length === 0) return UNAVAILABLE
    const sum = (name: string, reduce: (a: number, b: number) => number = (a, b) => a + b) => {
      const values = primaries.map((p) => Number(field(p.info, name)))
      return values.every(Number.isFinite) ? values.reduce(reduce) : null
    }
    const first = primaries[0] as { info: string }
    const memory = sum('used_memory')
    return {
      available: true,
      used_memory: primaries.length === 1 ? (field(first.info, 'used_memory_human') ?? null) : memory === null ? null : `${(memory / 1024 / 1024).toFixed(2)}M`,
      total_keys: primaries.reduce((n, p) => n + p.keys, 0),
      connected_clients: sum('connected_clients'),
      uptime_seconds: sum('uptime_in_seconds', Math.min),
    }
  } catch {
    return UNAVAILABLE
  }
}
