import { Elysia } from 'elysia'
import { UNKNOWN_CLIENT } from './client-ip.ts'
import { HttpError } from './errors.ts'
import { refusalResponse, type LimitClass, type RateLimits } from './rate-limit.ts'

// Rate limits on the router's requests, before any handler runs (so before any body is read or any
// database or cache lookup is made). A request is counted in its route's class under its client:
// the credential it presents (a hash of the token, never the token) or else its client address.
// A request presenting credentials from an address that has used up its auth failures is refused
// before the credential is looked up; every 401 to a request that presented one counts a failure.

/** Operator endpoints (health checks, scrapes) are not limited: a balancer must always reach them. */
export const UNLIMITED_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics'])

/**
 * The class of a route (method and template) as the router sees it, or undefined when it is not
 * limited. Fast-path hits (fresh L1 hits of public cached GETs, /search included) never get here:
 * they count as public reads (src/http/fast-path.ts), so `search` counts the searches that cost a
 * query or are signed in.
 */
export function limitClassOf(method: string, template: string, publicReads: ReadonlySet<string>): LimitClass | undefined {
  if (method === 'OPTIONS' || UNLIMITED_ROUTES.has(template)) return undefined
  if (method === 'GET' || method === 'HEAD') {
    if (template === '/search' || template.startsWith('/search/')) return 'search'
    if (template.endsWith('.srt') || template.endsWith('.vtt')) return 'export'
    return publicReads.has(template) ? 'public_read' : 'read'
  }
  if (template === '/jobs') return 'job'
  if (template === '/events' || template === '/events/batch') return 'event'
  return 'write'
}

const BEARER = /^Bearer +(\S+)/i
const SESSION_COOKIE = /(?:^|;)\s*session=([^;]*)/

/** The credential a request presents, as its raw token (the auth module checks it; here it only names a bucket). */
export function presentedToken(headers: Headers): string | undefined {
  const authorization = headers.get('authorization')
  if (authorization !== null) return BEARER.exec(authorization)?.[1] ?? authorization
  const apiKey = headers.get('x-api-key')
  if (apiKey !== null) return apiKey.trim()
  const cookie = headers.get('cookie')
  const session = cookie === null ? undefined : SESSION_COOKIE.exec(cookie)?.[1]
  return session === undefined || session === '' ? undefined : session
}

const tokenKey = (token: string) => `c:${new Bun.CryptoHasher('sha256').update(token).digest('base64url')}`

export interface RateLimitHooksDeps {
  limits: RateLimits
  /** Templates of the declared public cached GETs (filled once the routes are built). */
  publicReads: ReadonlySet<string>
  /** The client address app.fetch resolved for a request (src/http/client-ip.ts). */
  clientOf: (request: Request) => string | undefined
}

export function rateLimitHooks(deps: RateLimitHooksDeps) {
  const { limits } = deps
  const clientOf = (request: Request) => deps.clientOf(request) ?? UNKNOWN_CLIENT
  const ipKey = (request: Request) => `ip:${clientOf(request)}`
  return new Elysia({ name: 'rate-limits' })
    .onBeforeHandle({ as: 'global' }, async ({ request, route }) => {
      const cls = limitClassOf(request.method, route, deps.publicReads)
      if (!cls) return
      const token = presentedToken(request.headers)
      if (token !== undefined) {
        const blocked = await limits.authBlocked(ipKey(request))
        if (blocked) return refusalResponse(blocked)
      }
      // The cached public reads are counted per address in the same counter as the fast path's hits.
      const refused = cls === 'public_read' ? limits.hitPublicRead(clientOf(request)) : await limits.consume(cls, token === undefined ? ipKey(request) : tokenKey(token))
      if (refused) return refusalResponse(refused)
    })
    // Counted before the 401 is sent (the app's own error handler answers after this one), so the
    // client's next request already sees it.
    .onError({ as: 'global' }, async ({ error, request }) => {
      if (error instanceof HttpError && error.status === 401 && presentedToken(request.headers) !== undefined) await limits.authFailed(ipKey(request))
    })
}
