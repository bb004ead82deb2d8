import type { Logger } from '../platform/log.ts'
import type { RedisClient } from '../platform/redis.ts'

// The subscription of the invalidation bus: the deployment's channel, on which every write is
// announced by the versions script, and this instance's own heartbeat channel on the same
// connection. Redis delivers one connection's messages in the order it executed their PUBLISHes,
// so a heartbeat that comes back proves that every write announced before it was sent has arrived.
// node-redis reconnects and resubscribes by itself (before it emits 'ready'); `onConnect` tells the
// owner, once the subscriptions stand, that messages may have been missed meanwhile.

export interface BusHandlers {
  onMessage(raw: string): void
  onPing(raw: string): void
  onConnect(): void
}

export function startBus(client: RedisClient, channels: { bus: string; pings: string }, handlers: BusHandlers, log: Logger): () => Promise<void> {
  const subscriber = client.duplicate()
  subscriber.on('error', () => {
    // the main client logs Redis trouble; the subscriber just keeps reconnecting
  })
  subscriber.on('ready', () => handlers.onConnect())
  // Not awaited: with Redis down at startup, connect() retries until it is back.
  void subscriber
    .connect()
    .then(() => Promise.all([subscriber.subscribe(channels.bus, handlers.onMessage), subscriber.subscribe(channels.pings, handlers.onPing)]))
    .then(() => handlers.onConnect())
    .catch(() => log.warn('cache bus could not subscribe; cached values are trusted only while recent (CACHE_BUS_DOWN_MAX_AGE)'))
  return async () => {
    try {
      await subscriber.close()
    } catch {
      subscriber.destroy()
    }
  }
}
