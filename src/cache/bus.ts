import type { RedisClient } from '../platform/redis.ts'
import type { Logger } from '../platform/log.ts'

// The invalidation bus: a Redis pub/sub channel on which every write announces the generations it
// bumped, so every instance drops its L1 copies within milliseconds. A reconnect means messages may
// have been lost while disconnected: on every (re)connect the owner flushes L1 and re-reads the
// generations (also on the first one, in case Redis was down when the instance started).

export interface BusMessage {
  origin: string
  generations: Record<string, number>
}

export interface BusHandlers {
  onMessage(message: BusMessage): void
  onConnect(): void
}

export function startBus(client: RedisClient, channel: string, handlers: BusHandlers, log: Logger): () => Promise<void> {
  const subscriber = client.duplicate()
  subscriber.on('error', () => {
    // the main client logs Redis trouble; the subscriber just keeps reconnecting
  })
  subscriber.on('ready', () => handlers.onConnect())
  const listener = (raw: string) => {
    try {
      handlers.onMessage(JSON.parse(raw) as BusMessage)
    } catch {
      log.warn('ignoring malformed cache bus message')
    }
  }
  // Not awaited: with Redis down at startup, connect() retries until it is back; node-redis then
  // restores the subscription on every reconnect by itself.
  void subscriber
    .connect()
    .then(() => subscriber.subscribe(channel, listener))
    .catch(() => log.warn('cache bus could not subscribe; L1 entries expire by TTL only'))
  return async () => {
    try {
      await subscriber.close()
    } catch {
      subscriber.destroy()
    }
  }
}
