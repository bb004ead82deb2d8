// A response prepared once and served many times: status, content type, body bytes, gzip bytes and
// an ETag, all computed up front. Handlers of cacheable GETs produce one; the cache stores exactly
// this, so a hit is served with no JSON, no hashing and no compression.

export const GZIP_MIN_BYTES = 1024
const GZIP_LEVEL = 6

export const JSON_TYPE = 'application/json'

/** Bytes backed by a plain ArrayBuffer (what Response, gzip and Redis accept). */
export type Bytes = Uint8Array<ArrayBuffer>

export class ReadyResponse {
  private constructor(
    readonly status: number,
    readonly contentType: string,
    readonly body: Bytes,
    /** Present only when the body is ≥ 1 KiB and gzip actually made it smaller. */
    readonly gzip: Bytes | undefined,
    /** Weak validator: the gzip and identity representations are semantically the same. */
    readonly etag: string,
    /** Extra headers that belong to the content (e.g. Content-Disposition). */
    readonly headers: Readonly<Record<string, string>>,
  ) {}

  static fromBytes(status: number, contentType: string, body: Bytes, headers: Record<string, string> = {}): ReadyResponse {
    let gzip: Bytes | undefined
    if (body.byteLength >= GZIP_MIN_BYTES && isCompressible(contentType)) {
      const packed = Bun.gzipSync(body, { level: GZIP_LEVEL })
      if (packed.byteLength < body.byteLength) gzip = packed
    }
    const etag = `W/"${Bun.hash(body).toString(36)}-${body.byteLength.toString(36)}"`
    return new ReadyResponse(status, contentType, body, gzip, etag, headers)
  }

  /** Rebuilds a response read back from the L2 cache: nothing is recomputed. */
  static restore(status: number, contentType: string, body: Bytes, gzip: Bytes | undefined, etag: string, headers: Record<string, string>): ReadyResponse {
    return new ReadyResponse(status, contentType, body, gzip, etag, headers)
  }

  static json(value: unknown, status = 200): ReadyResponse {
    return ReadyResponse.fromBytes(status, JSON_TYPE, new TextEncoder().encode(JSON.stringify(value)))
  }

  static text(text: string, contentType: string, headers: Record<string, string> = {}): ReadyResponse {
    return ReadyResponse.fromBytes(200, contentType, new TextEncoder().encode(text), headers)
  }

  /** Bytes held, for cache size accounting. */
  get size(): number {
    return this.body.byteLength + (this.gzip?.byteLength ?? 0) + this.contentType.length + this.etag.length + 64
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
