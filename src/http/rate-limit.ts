import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Config, Rate } from '../config.ts'
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
  cls: LimitClass
  rate: Rate
  /** Milliseconds until the client may try again. */
  retryMs: number
}

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
    'ratelimit-policy': `"${r.cls}";q=${r.rate.points};w=${r.rate.seconds}`,
    ratelimit: `"${r.cls}";r=0;t=${seconds}`,
  }
}

/** The 429 of a refusal: `{error:{code:'rate_limited'}}` with its headers. */
export function refusalResponse(r: Refusal): Response {
  const seconds = Math.max(1, Math.ceil(r.retryMs / 1000))
  const message = `too many requests of class ${r.cls} (at most ${r.rate.points} per ${r.rate.seconds} s); retry in ${seconds} s`
  return jsonError(429, 'rate_limited', message, refusalHeaders(r))
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
      const memory = new RateLimiterMemory({ points: rate.points, duration: rate.seconds })
      if (!deps.redis) {
        this.stores.set(cls, memory)
        continue
      }
      const redis = new RateLimiterRedis({
        storeClient: deps.redis,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        keyPrefix: `${deps.prefix}:rl:${cls}`,
        points: rate.points,
        duration: rate.seconds,
        insuranceLimiter: memory,
      })
      this.stores.set(cls, new RLWrapperTimeouts({ limiter: redis, timeoutMs: deps.config.CACHE_L2_TIMEOUT_MS, insuranceLimiter: memory }))
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
      if (err instanceof RateLimiterRes) return { cls, rate, retryMs: err.msBeforeNext }
      // Neither Redis nor the insurance answered: a limiter failure never refuses a request.
      return undefined
    }
  }

  /** The cached public reads' counter (synchronous: the fast path calls it on every hit). */
  hitPublicRead(key: string): Refusal | undefined {
    const window = this.publicReads
    const rate = this.rates.get('public_read')
    if (!window || !rate) return undefined
    const verdict = window.hit(key)
    return verdict.allowed ? undefined : { cls: 'public_read', rate, retryMs: verdict.resetMs }
  }

  /** A refusal when `key` has used up its auth failures; reads the counter without counting. */
  async authBlocked(key: string): Promise<Refusal | undefined> {
    const store = this.stores.get('auth_failure')
    const rate = this.rates.get('auth_failure')
    if (!store || !rate) return undefined
    const res = await store.get(key).catch(() => null)
    if (!res || res.consumedPoints < rate.points) return undefined
    return { cls: 'auth_failure', rate, retryMs: res.msBeforeNext }
  }

  /** Counts one rejected credential of `key`; never fails. */
  async authFailed(key: string): Promise<void> {
    await this.stores.get('auth_failure')?.penalty(key).catch(() => undefined)
  }
}
