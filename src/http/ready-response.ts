import type { Bytes } from '../cache/codec.ts'
import type { CachePolicy } from './cache-policy.ts'
import type { EdgeProfile } from './edge.ts'

// A response prepared once and served many times: status, content type, body bytes, gzip bytes and
// an ETag, all computed up front. Handlers of cacheable GETs produce one; the cache stores exactly
// this, so a hit is served with no JSON, no hashing and no compression.
//
// When gzip made the body smaller, only the gzip bytes are kept: nearly every client accepts gzip,
// and keeping the identity bytes too would let the caches hold about four times fewer responses
// (a seeded 100-segment transcript gzips to about a third of its JSON). The rare identity request
// pays a gunzip instead, once: the app keeps the identity bodies recently asked for
// (src/http/identity-bodies.ts), so a client without gzip does not make every hit decompress again.

export const GZIP_MIN_BYTES = 1024
const GZIP_LEVEL = 6

export const JSON_TYPE = 'application/json'

/** The ReadyResponse object with its byte array and ETag string, beyond their contents. */
const READY_RESPONSE_OVERHEAD_BYTES = 256
/** One prepared Headers set (native) of an L1 hit: about 600 bytes of heap and more of the process's memory. */
const HIT_HEADERS_BYTES = 768

/** The prepared headers of one route's L1 hits for one edge profile (src/http/edge.ts), per variant. */
export interface HitHeaders {
  policy: CachePolicy
  edge: EdgeProfile
  gzip?: Headers
  identity?: Headers
  'not-modified'?: Headers
}

export class ReadyResponse {
  private constructor(
    readonly status: number,
    readonly contentType: string,
    /** The gzip bytes when `gzipped`, else the body itself. */
    readonly stored: Bytes,
    /** Only when the body is ≥ 1 KiB and gzip actually made it smaller. */
    readonly gzipped: boolean,
    /** Length of the identity body, for Content-Length without decompressing. */
    readonly bodyLength: number,
    /** Weak validator: the gzip and identity representations are semantically the same. */
    readonly etag: string,
    /** Extra headers that belong to the content (e.g. Content-Disposition). */
    readonly headers: Readonly<Record<string, string>>,
  ) {}

  static fromBytes(status: number, contentType: string, body: Bytes, headers: Record<string, string> = {}): ReadyResponse {
    const etag = `W/"${Bun.hash(body).toString(36)}-${body.byteLength.toString(36)}"`
    if (body.byteLength >= GZIP_MIN_BYTES && isCompressible(contentType)) {
      const packed = Bun.gzipSync(body, { level: GZIP_LEVEL })
      if (packed.byteLength < body.byteLength) return new ReadyResponse(status, contentType, packed, true, body.byteLength, etag, headers)
    }
    return new ReadyResponse(status, contentType, body, false, body.byteLength, etag, headers)
  }

  /** Rebuilds a response read back from the L2 cache: nothing is recomputed. */
  static restore(status: number, contentType: string, stored: Bytes, gzipped: boolean, bodyLength: number, etag: string, headers: Record<string, string>): ReadyResponse {
    return new ReadyResponse(status, contentType, stored, gzipped, bodyLength, etag, headers)
  }

  static json(value: unknown, status = 200): ReadyResponse {
    return ReadyResponse.fromBytes(status, JSON_TYPE, new TextEncoder().encode(JSON.stringify(value)))
  }

  static text(text: string, contentType: string, headers: Record<string, string> = {}): ReadyResponse {
    return ReadyResponse.fromBytes(200, contentType, new TextEncoder().encode(text), headers)
  }

  /**
   * Header sets of this response's L1 hits (src/http/serve-ready.ts): a field rather than a map
   * beside it, so they live and die with the response, and cost the garbage collector one object.
   */
  hitHeaders: HitHeaders | undefined

  /**
   * The sets of hits asked from allowed CORS origins, one per origin (CORS_ORIGINS bounds them).
   * Not counted in `size`: a few hundred bytes per origin that asked, on entries hit from browsers.
   */
  originHitHeaders: Map<EdgeProfile, HitHeaders> | undefined

  /**
   * Bytes this response holds in memory, for the cache's byte bound: the stored bytes, its strings
   * (two bytes a character), the objects around them, and one prepared header set (L1 hits build
   * one per variant, see serve-ready.ts). Measured with `bun scripts/probe-entry-memory.ts`.
   */
  get size(): number {
    let strings = this.contentType.length + this.etag.length
    for (const [k, v] of Object.entries(this.headers)) strings += k.length + v.length
    return this.stored.byteLength + 2 * strings + READY_RESPONSE_OVERHEAD_BYTES + HIT_HEADERS_BYTES
  }
}

/** Where a served response came from; sent as the X-Cache header. */
export type XCache = 'HIT-L1' | 'HIT-L2' | 'MISS' | 'STALE' | 'BYPASS'

/** A ready response and the cache tier that produced it. */
export class CacheResult {
  constructor(
    readonly value: ReadyResponse,
    readonly source: XCache,
  ) {}
}

/** Types worth compressing: text, JSON, JavaScript, XML, SVG. Images and archives are already packed. */
export function isCompressible(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? ''
  return type.startsWith('text/') || type.endsWith('json') || type.endsWith('javascript') || type.endsWith('xml') || type === 'application/x-subrip' || type === 'image/svg+xml'
}
