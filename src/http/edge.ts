import type { Config } from '../config.ts'
import type { RequestScope } from '../platform/request-scope.ts'
import { CorsOrigins, type CorsGrant } from './cors.ts'
import { newRequestId, REQUEST_ID_HEADER, requestIdOf } from './request-id.ts'
import { securityHeaders, type HeaderPair } from './security-headers.ts'

// What every response carries besides its content, whichever path answered it: the security
// headers, the CORS headers of its Origin, and the request's id. Everything but the id is the same
// for every request of one origin, so it is prepared once per origin (a profile) and cached hits
// keep one prepared header set per profile (src/http/serve-ready.ts): a hit adds only its id.

/** The headers a kind of request (by Origin) gets on every response, prepared once. */
export class EdgeProfile {
  constructor(
    /** Security headers, and the CORS headers of an allowed origin. */
    readonly pairs: readonly HeaderPair[],
    /** `Origin` while CORS is on: then every answer depends on the Origin it was asked with. */
    readonly vary: string | undefined,
    /** A preflight's own headers when the origin is allowed; undefined: its preflight is refused. */
    readonly preflight: readonly HeaderPair[] | undefined,
  ) {}
}

/** One request as the edge sees it: its id, its client, its profile. */
export class Exchange implements RequestScope {
  constructor(
    readonly requestId: string,
    readonly ip: string,
    readonly edge: EdgeProfile,
  ) {}
}

/** `vary` with `token` in it (once). */
function varyWith(vary: string | null, token: string): string {
  if (!vary) return token
  return vary.split(',').some((v) => v.trim().toLowerCase() === token.toLowerCase()) ? vary : `${vary}, ${token}`
}

export class Edge {
  private readonly cors: CorsOrigins
  /** No Origin, an origin not allowed, or CORS off: the security headers alone. */
  private readonly plain: EdgeProfile
  private readonly listed = new Map<string, EdgeProfile>()
  private readonly any: EdgeProfile | undefined

  constructor(config: Pick<Config, 'PUBLIC_BASE_URL' | 'CORS_ORIGINS'>) {
    const security = securityHeaders(config.PUBLIC_BASE_URL)
    this.cors = new CorsOrigins(config.CORS_ORIGINS)
    const vary = this.cors.enabled ? 'Origin' : undefined
    const profile = (grant: CorsGrant) => new EdgeProfile([...security, ...grant.response], vary, grant.preflight)
    this.plain = new EdgeProfile(security, vary, undefined)
    for (const [origin, grant] of this.cors.listed) this.listed.set(origin, profile(grant))
    this.any = this.cors.any && profile(this.cors.any)
  }

  /** Whether CORS_ORIGINS is set (the preflight route exists only then). */
  get corsEnabled(): boolean {
    return this.cors.enabled
  }

  profileOf(origin: string | null): EdgeProfile {
    if (origin === null) return this.plain
    return this.listed.get(origin) ?? this.any ?? this.plain
  }

  /** The exchange of a request whose client address is `ip`: its id taken or made, its profile found. */
  exchange(request: Request, ip: string): Exchange {
    const edge = this.cors.enabled ? this.profileOf(request.headers.get('origin')) : this.plain
    return new Exchange(requestIdOf(request.headers), ip, edge)
  }

  /** For an answer with no request to go by (the server's last-resort error handler): a new id. */
  orphan(ip: string): Exchange {
    return new Exchange(newRequestId(), ip, this.plain)
  }

  /** Adds the exchange's headers to a response built elsewhere (errors, refusals, plugins); returns it. */
  finish(response: Response, exchange: Exchange): Response {
    applyExchange(response.headers, exchange)
    return response
  }
}

/** An exchange's headers into `headers`: its profile's (Vary merged with what is there) and its id. */
export function applyExchange(headers: Headers, exchange: Exchange): void {
  const { edge } = exchange
  for (const [name, value] of edge.pairs) headers.set(name, value)
  if (edge.vary) headers.set('vary', varyWith(headers.get('vary'), edge.vary))
  headers.set(REQUEST_ID_HEADER, exchange.requestId)
}
