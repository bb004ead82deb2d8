import type { CacheRequest } from '../cache/cache-request.ts'
import type { CachePolicy } from './cache-policy.ts'
import { readyRequest, type ResponseRequest } from './cached-response.ts'
import type { CacheResult, ReadyResponse } from './ready-response.ts'

// A public cached GET, declared once by its module: the template, the Cache-Control policy, how
// the URL's params and query become the input (or a 4xx), what that input asks of the cache, how
// the router reads it, and what is counted on every answer. The router route (its handler and the
// `cached` route option, src/http/route-options.ts), the policy table row and the fast path's
// entry (src/http/fast-path.ts) are all made from this one object, so they cannot disagree.

/** A URL's path parameters and query as plain strings (absent when not given). */
export interface UrlParts {
  params: Readonly<Record<string, string | undefined>>
  query: Readonly<Record<string, string | undefined>>
}

export interface CachedGetDeclaration<I> {
  template: string
  policy: CachePolicy
  /** The route's input from its URL; throws an HttpError (4xx) for bad input, before any I/O. */
  parse(url: UrlParts): I
  /** What the input asks of the cache: the fast path looks it up in L1 without running `read`. */
  cacheRequest(input: I): ResponseRequest
  /** The router's answer: the read through the cache. `request` is there for side effects on signed-in callers. */
  read(input: I, request: Request): Promise<CacheResult>
  /** Counted on every answer, whichever path gave it (a plain counter: nothing else runs on a fast-path hit). */
  count?: () => void
}

export class CachedGet {
  readonly template: string
  readonly policy: CachePolicy
  readonly count: (() => void) | undefined
  /** The cache request of a URL (throws its 4xx): the fast path's question, memoised per URL there. */
  readonly cacheRequestOf: (url: UrlParts) => CacheRequest<ReadyResponse>
  /** The router's handler. */
  readonly handle: (ctx: UrlParts & { request: Request }) => Promise<CacheResult>

  private constructor(template: string, policy: CachePolicy, count: (() => void) | undefined, cacheRequestOf: CachedGet['cacheRequestOf'], handle: CachedGet['handle']) {
    this.template = template
    this.policy = policy
    this.count = count
    this.cacheRequestOf = cacheRequestOf
    this.handle = handle
  }

  static declare<I>(d: CachedGetDeclaration<I>): CachedGet {
    const count = d.count
    return new CachedGet(
      d.template,
      d.policy,
      count,
      (url) => readyRequest(d.cacheRequest(d.parse(url))),
      ({ params, query, request }) => {
        const input = d.parse({ params, query })
        count?.()
        return d.read(input, request)
      },
    )
  }
}
