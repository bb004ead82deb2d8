import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Rate } from '../config-parsers.ts'
import type { Config } from '../config.ts'
import type { RedisClient } from '../platform/redis.ts'
import { jsonError } from './errors.ts'
import { LocalWindow } from './local-rate-limit.ts'

// The fleet's rate limits, one per route class (README "Rate limits"). Counters of every class but
// the cached public reads live in Redis under the deployment's prefix (rate-limiter-flexible: one
// Lua INCR + PEXPIRE per request, every key expiring with its window), so N instances enforce one
// limit together. When Redis is down, not ready, or slower than CACHE_L2_TIMEOUT_MS, each instance
// falls back to an in-memory limiter of the same rate (its insurance): a client may then make up to
// N × points across N instances until Redis is back. Cached public reads are always counted in
// memory per instance (src/http/local-rate-limit.ts).

export const LIMIT_CLASSES = ['public_read', 'read', 'search', 'export', 'write', 'auth_failure', 'job', 'event'] as const
export type LimitClass = (typeof LIMIT_CLASSES)[number]

/** The variable configuring each class. */
export const RATE_VARIABLES = {
  public_read: 'RATE_LIMIT_PUBLIC_READ',
  read: 'RATE_LIMIT_READ',
  search: 'RATE_LIMIT_SEARCH',
  export: 'RATE_LIMIT_EXPORT',
  write: 'RATE_LIMIT_WRITE',
  auth_failure: 'RATE_LIMIT_AUTH_FAILURE',
  job: 'RATE_LIMIT_JOB',
  event: 'RATE_LIMIT_EVENT',
} as const satisfies Record<LimitClass, keyof Config>

export interface Refusal {
  /** The policy's name in the headers: the class, or a budget's name. */
  name: string
  points: number
  seconds: number
  /** Milliseconds until the client may try again. */
  retryMs: number
}

const refusal = (cls: LimitClass, rate: Rate, retryMs: number): Refusal => ({ name: cls, points: rate.points, seconds: rate.seconds, retryMs })

export interface RateLimitsDeps {
  config: Config
  redis: RedisClient | undefined
  /** The deployment's Redis key prefix (CACHE_PREFIX). */
  prefix: string
}

/** `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers) and `Retry-After` of a refusal. */
export function refusalHeaders(r: Refusal): Record<string, string> {
  const seconds = Math.max(1, Math.ceil(r.retryMs / 1000))
  return {
    'retry-after': String(seconds),
    'ratelimit-policy': `"${r.name}";q=${r.points};w=${r.seconds}`,
    ratelimit: `"${r.name}";r=0;t=${seconds}`,
  }
}

/** The 429 of a refusal: `{error:{code:'rate_limited'}}` with its headers; `message` says what was used up. */
export function refusalResponse(r: Refusal, message?: string): Response {
  const seconds = Math.max(1, Math.ceil(r.retryMs / 1000))
  const what = message ?? `too many requests of class ${r.name} (at most ${r.points} per ${r.seconds} s)`
  return jsonError(429, 'rate_limited', `${what}; retry in ${seconds} s`, refusalHeaders(r))
}

/** A limiter in Redis under the deployment's prefix, with its in-memory insurance (or only that without Redis). */
export function fleetLimiter(deps: RateLimitsDeps, name: string, points: number, seconds: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: seconds })
  if (!deps.redis) return memory
  const redis = new RateLimiterRedis({
    storeClient: deps.redis.native,
    useRedisPackage: true,
    rejectIfRedisNotReady: true,
    keyPrefix: `${deps.prefix}:rl:${name}`,
    points,
    duration: seconds,
    insuranceLimiter: memory,
  })
  return new RLWrapperTimeouts({ limiter: redis, timeoutMs: deps.config.CACHE_L2_TIMEOUT_MS, insuranceLimiter: memory })
}

export class RateLimits {
  private readonly stores = new Map<LimitClass, RateLimiterAbstract>()
  private readonly rates = new Map<LimitClass, Rate>()
  /** The cached public reads' per-instance counter; undefined when that limit is off. */
  readonly publicReads: LocalWindow | undefined

  constructor(deps: RateLimitsDeps) {
    for (const cls of LIMIT_CLASSES) {
      const rate = deps.config[RATE_VARIABLES[cls]]
      if (rate.off) continue
      this.rates.set(cls, rate)
      if (cls === 'public_read') continue
      this.stores.set(cls, fleetLimiter(deps, cls, rate.points, rate.seconds))
    }
    const publicRead = this.rates.get('public_read')
    this.publicReads = publicRead && new LocalWindow(publicRead)
  }

  /** One request of `key` in class `cls`, or the refusal when it is over the limit. */
  async consume(cls: Exclude<LimitClass, 'public_read'>, key: string): Promise<Refusal | undefined> {
    const store = this.stores.get(cls)
    const rate = this.rates.get(cls)
    if (!store || !rate) return undefined
    try {
      await store.consume(key)
      return undefined
    } catch (err) {
      if (err instanceof RateLimiterRes) return refusal(cls, rate, err.msBeforeNext)
      // Neither Redis nor the insurance answered: a limiter failure never refuses a request.
      return undefined
    }
  }

  /** The cached public reads' counter (synchronous: the fast path calls it on every hit). */
  hitPublicRead(key: string): Refusal | undefined {
    const window = this.publicReads
    const rate = this.rates.get('public_read')
    if (!window || !rate) return undefined
    const retryMs = window.hit(key)
    return retryMs === 0 ? undefined : refusal('public_read', rate, retryMs)
  }

  /** A refusal when `key` has used up its auth failures; reads the counter without counting. */
  async authBlocked(key: string): Promise<Refusal | undefined> {
    const store = this.stores.get('auth_failure')
    const rate = this.rates.get('auth_failure')
    if (!store || !rate) return undefined
    const res = await store.get(key).catch(() => null)
    if (!res || res.consumedPoints < rate.points) return undefined
    return refusal('auth_failure', rate, res.msBeforeNext)
  }

  /** Counts one rejected credential of `key`; never fails. */
  async authFailed(key: string): Promise<void> {
    await this.stores.get('auth_failure')?.penalty(key).catch(() => undefined)
  }
}
