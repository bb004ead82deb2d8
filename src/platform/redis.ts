import { createClient } from 'redis'
import type { Logger } from './log.ts'


const MAX_RECONNECT_DELAY_MS = 2000

function buildClient(url: string) {
  return createClient({
    url,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
    },
    // Commands fail at once while disconnected instead of queueing until Redis returns.
    disableOfflineQueue: true,
  })
}

export type RedisClient = ReturnType<typeof buildClient>

/** Connects in the background: a Redis that is down at startup must not stop the server. */
export function createRedis(url: string, log: Logger): RedisClient {
  const client = buildClient(url)
  let reported = false
  client.on('error', (err: Error) => {
    if (!reported) log.warn('redis error', { error: err.message })
    reported = true
  })
  client.on('ready', () => {
    if (reported) log.info('redis connected')
    reported = false
  })
  client.connect().catch(() => {
    // the 'error' listener has logged it; reconnectStrategy keeps trying
  })
  return client
}

export async function pingRedis(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (!client.isReady) return false
  let timer: Timer | undefined
  const timeout = new Promise<false>((res) => {
    timer = setTimeout(() => res(false), timeoutMs)
  })
  try {
    return await Promise.race([client.ping().then((r) => r === 'PONG'), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

export async function closeRedis(client: RedisClient): Promise<void> {
  try {
    await client.close()
  } catch {
    client.destroy()
  }
}
