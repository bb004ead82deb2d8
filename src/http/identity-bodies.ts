import { LRUCache } from 'lru-cache'
import type { Bytes } from '../cache/codec.ts'
import type { ReadyResponse } from './ready-response.ts'

// Identity bodies of ready responses that keep only their gzip bytes (src/http/ready-response.ts),
// for the rare client without gzip: decompressed once and kept a while in a small LRU of the app's
// own, so such a client does not make every hit decompress again.

/** What the decompressed bodies may hold, by default. */
export const IDENTITY_BODIES_MAX_BYTES = 16 * 1024 * 1024

export class IdentityBodies {
  private readonly inflated: LRUCache<ReadyResponse, Bytes>

  constructor(maxBytes = IDENTITY_BODIES_MAX_BYTES) {
    this.inflated = new LRUCache<ReadyResponse, Bytes>({ maxSize: Math.max(1, maxBytes), sizeCalculation: (body) => Math.max(1, body.byteLength) })
  }

  /** The identity body: the stored bytes, or them decompressed (and kept). */
  of(ready: ReadyResponse): Bytes {
    if (!ready.gzipped) return ready.stored
    let body = this.inflated.get(ready)
    if (body === undefined) {
      body = Bun.gunzipSync(ready.stored)
      this.inflated.set(ready, body)
    }
    return body
  }
}
