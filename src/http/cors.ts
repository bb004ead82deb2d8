import type { HeaderPair } from './security-headers.ts'

// Cross-origin access for browser apps (CORS_ORIGINS). Origins are matched exactly (scheme, host
// and port as the browser sends them); `*` allows every other origin too, without credentials.
// What an origin gets does not depend on the route, so its headers are prepared once per origin
// (src/http/edge.ts) and a cached response is the same bytes for every site: the Origin never
// becomes part of a cache key. An origin that is not allowed gets no Access-Control-* header at
// all, and its preflight a 403 `origin_not_allowed`, so the browser refuses the call.

export const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'
/** Request headers a browser app may send (beyond the CORS-safelisted ones). */
export const CORS_REQUEST_HEADERS = 'Authorization, Content-Type, X-API-Key, X-Request-Id, If-None-Match'
/** Response headers a browser app may read (beyond the CORS-safelisted ones). */
export const CORS_EXPOSED_HEADERS = 'ETag, X-Request-Id, X-Cache, RateLimit, RateLimit-Policy, Retry-After, Content-Disposition'
/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 h, Firefox at 24 h). */
export const CORS_MAX_AGE_SECONDS = 600

/** What one allowed origin gets. */
export interface CorsGrant {
  /** On every response to it. */
  response: HeaderPair[]
  /** On its preflights, beside `response`. */
  preflight: HeaderPair[]
}

function grant(allowOrigin: string, credentials: boolean): CorsGrant {
  const response: HeaderPair[] = [['access-control-allow-origin', allowOrigin], ['access-control-expose-headers', CORS_EXPOSED_HEADERS]]
  if (credentials) response.push(['access-control-allow-credentials', 'true'])
  return {
    response,
    preflight: [
      ['access-control-allow-methods', CORS_METHODS],
      ['access-control-allow-headers', CORS_REQUEST_HEADERS],
      ['access-control-max-age', String(CORS_MAX_AGE_SECONDS)],
    ],
  }
}

export class CorsOrigins {
  /** Listed origins: reflected, with credentials (cookies) allowed. */
  readonly listed: ReadonlyMap<string, CorsGrant>
  /** `*`: any other origin, as `*`, without credentials. */
  readonly any: CorsGrant | undefined

  constructor(origins: readonly string[] | undefined) {
    const listed = new Map<string, CorsGrant>()
    for (const origin of origins ?? []) if (origin !== '*') listed.set(origin, grant(origin, true))
    this.listed = listed
    this.any = origins?.includes('*') ? grant('*', false) : undefined
  }

  /** CORS_ORIGINS set: every response then varies by Origin. */
  get enabled(): boolean {
    return this.listed.size > 0 || this.any !== undefined
  }

  /** What `origin` is granted; undefined when it is not allowed (or absent). */
  grantOf(origin: string | null): CorsGrant | undefined {
    if (origin === null) return undefined
    return this.listed.get(origin) ?? this.any
  }
}
