import type { Bytes, Codec } from '../cache/codec.ts'
import { ReadyResponse } from './ready-response.ts'

// Ready responses in the cache: L1 keeps the ReadyResponse itself (prepared bytes and header sets);
// L2 holds a small JSON header (status, type, ETag, content headers, whether the bytes are gzip and
// the identity length) followed by the stored bytes. 2xx answers are kept for their TTL, a 404 for
// the negative TTL, anything else never.

interface Meta {
  s: number
  t: string
  e: string
  h: Record<string, string>
  /** stored byte count, whether they are gzip, and the identity body's length */
  b: number
  z: boolean
  n: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const readyResponseCodec: Codec<ReadyResponse> = {
  name: 'ready-response',
  encode(v) {
    const meta: Meta = { s: v.status, t: v.contentType, e: v.etag, h: { ...v.headers }, b: v.stored.byteLength, z: v.gzipped, n: v.bodyLength }
    const head = encoder.encode(JSON.stringify(meta))
    const out = new Uint8Array(4 + head.byteLength + v.stored.byteLength)
    new DataView(out.buffer).setUint32(0, head.byteLength)
    out.set(head, 4)
    out.set(v.stored, 4 + head.byteLength)
    return out
  },
  decode(bytes: Bytes) {
    try {
      if (bytes.byteLength < 4) return undefined
      const headLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0)
      if (4 + headLen > bytes.byteLength) return undefined
      const m = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headLen))) as Partial<Meta>
      if (typeof m.s !== 'number' || typeof m.t !== 'string' || typeof m.e !== 'string' || typeof m.z !== 'boolean' || typeof m.n !== 'number') return undefined
      if (bytes.byteLength !== 4 + headLen + (m.b ?? -1)) return undefined
      return ReadyResponse.restore(m.s, m.t, bytes.slice(4 + headLen), m.z, m.n, m.e, m.h ?? {})
    } catch {
      return undefined
    }
  },
  size: (v) => v.size,
  keep: (v) => (v.status >= 200 && v.status < 300 ? 'positive' : v.status === 404 ? 'negative' : 'never'),
}
