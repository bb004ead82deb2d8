import type { RedisClient } from '../platform/redis.ts'
import { withTimeout } from '../platform/with-timeout.ts'

// Redis server facts for the operators' cache statistics, read with a bounded wait.

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
    const [info, keys] = await withTimeout(Promise.all([client.info(), client.dbSize()]), timeoutMs)
    const num = (name: string) => {
      const v = Number(field(info, name))
      return Number.isFinite(v) ? v : null
    }
    return {
      available: true,
      used_memory: field(info, 'used_memory_human') ?? null,
      total_keys: Number(keys),
      connected_clients: num('connected_clients'),
      uptime_seconds: num('uptime_in_seconds'),
    }
  } catch {
    return UNAVAILABLE
  }
}
