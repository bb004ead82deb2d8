import type { RedisClient } from '../platform/redis.ts'

// The subscription of the invalidation bus: the deployment's channel, on which every write is
// announced by the versions script, and this instance's own heartbeat channel on the same
// connection. Redis delivers one connection's messages in the order it executed their PUBLISHes,
// so a heartbeat that comes back proves that every write announced before it was sent has arrived.
// (In a cluster both channels and the versions hash share one slot, so the script's SPUBLISH, the
// heartbeat's SPUBLISH and the subscription are all on the one primary of that slot: the same holds.)
// The connection is the platform's (src/platform/redis.ts): it resubscribes after a reconnect and
// follows a failover by itself; `onConnect` tells the owner that messages may have been missed
// meanwhile.

export interface BusHandlers {
  onMessage(raw: string): void
  onPing(raw: string): void
  onConnect(): void
}

export function startBus(client: RedisClient, channels: { bus: string; pings: string }, handlers: BusHandlers): () => Promise<void> {
  return client.subscribe({ [channels.bus]: handlers.onMessage, [channels.pings]: handlers.onPing }, handlers.onConnect)
}
