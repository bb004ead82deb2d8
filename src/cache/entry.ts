import { ReadyResponse, type Bytes } from '../http/ready-response.ts'

// What both tiers hold: a ready response plus its freshness window. L2 stores the same thing as
// one binary value (a small JSON header, then the stored bytes: gzip, or the body when not gzipped), so an L2 hit is one GET.

export interface CacheEntry {
  value: ReadyResponse
  /** Epoch ms until which the entry is fresh. */
  freshUntil: number
  /** Epoch ms until which it may still be served stale (SWR and fail-safe grace). */
  staleUntil: number
  /** After a failed refresh: no new refresh before this epoch ms (L1 only; not stored in L2). */
  retryAt?: number
}

interface Header {
  s: number
  t: string
  e: string
  h: Record<string, string>
  f: number
  x: number
  /** Stored byte count, whether they are gzip, and the identity body's length. */
  b: number
  z: boolean
  n: number
}

export function encodeEntry(entry: CacheEntry): Bytes {
  const v = entry.value
  const header: Header = {
    s: v.status,
    t: v.contentType,
    e: v.etag,
    h: { ...v.headers },
    f: entry.freshUntil,
    x: entry.staleUntil,
    b: v.stored.byteLength,
    z: v.gzipped,
    n: v.bodyLength,
  }
  const head = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(4 + head.byteLength + header.b)
  new DataView(out.buffer).setUint32(0, head.byteLength)
  out.set(head, 4)
  out.set(v.stored, 4 + head.byteLength)
  return out
}

/** The entry, or undefined for bytes that are not one (a foreign or truncated value is a miss). */
export function decodeEntry(bytes: Uint8Array): CacheEntry | undefined {
  try {
    if (bytes.byteLength < 4) return undefined
    const headLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0)
    const h = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headLen))) as Header
    const start = 4 + headLen
    if (bytes.byteLength !== start + h.b || typeof h.z !== 'boolean' || typeof h.n !== 'number') return undefined
    const stored = bytes.slice(start)
    return { value: ReadyResponse.restore(h.s, h.t, stored, h.z, h.n, h.e, h.h), freshUntil: h.f, staleUntil: h.x }
  } catch {
    return undefined
  }
}
