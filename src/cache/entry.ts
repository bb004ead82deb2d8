import type { Bytes, Codec } from './codec.ts'

// What both tiers hold: a value plus its freshness window and the time its data was read. L2
// stores one binary value per entry (a small JSON header, then the codec's bytes), so an L2 hit is
// one GET.

export interface CacheEntry<V> {
  value: V
  /** Epoch ms until which the entry is fresh. */
  freshUntil: number
  /** Epoch ms until which it may still be served stale (SWR and fail-safe grace). */
  staleUntil: number
  /**
   * Epoch ms at which the loader began reading: the value is at least this recent. While the
   * invalidation bus cannot be trusted, only entries built recently enough are served (coherence.ts).
   */
  builtAt: number
  /** A positive answer (not a cached "not found"): only those may be served without the router. */
  positive: boolean
  /** After a failed refresh: no new refresh before this epoch ms (L1 only; not stored in L2). */
  retryAt?: number
}

interface Header {
  /** codec name */
  c: string
  f: number
  x: number
  b: number
  p: boolean
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeEntry<V>(entry: CacheEntry<V>, codec: Codec<V>): Bytes {
  const header: Header = { c: codec.name, f: entry.freshUntil, x: entry.staleUntil, b: entry.builtAt, p: entry.positive }
  const head = encoder.encode(JSON.stringify(header))
  const body = codec.encode(entry.value)
  const out = new Uint8Array(4 + head.byteLength + body.byteLength)
  new DataView(out.buffer).setUint32(0, head.byteLength)
  out.set(head, 4)
  out.set(body, 4 + head.byteLength)
  return out
}

/** The entry, or undefined for bytes that are not one of this codec's (a foreign or truncated value is a miss). */
export function decodeEntry<V>(bytes: Uint8Array, codec: Codec<V>): CacheEntry<V> | undefined {
  try {
    if (bytes.byteLength < 4) return undefined
    const headLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0)
    if (4 + headLen > bytes.byteLength) return undefined
    const h = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headLen))) as Partial<Header>
    if (h.c !== codec.name || typeof h.f !== 'number' || typeof h.x !== 'number' || typeof h.b !== 'number' || typeof h.p !== 'boolean') return undefined
    const value = codec.decode(bytes.slice(4 + headLen))
    if (value === undefined) return undefined
    return { value, freshUntil: h.f, staleUntil: h.x, builtAt: h.b, positive: h.p }
  } catch {
    return undefined
  }
}
