import { Counter, Gauge, type Registry } from 'prom-client'
import type { TieredCache } from './tiered-cache.ts'

// The cache's counters, exposed to Prometheus at scrape time. The hit path only bumps plain
// numbers in CacheStats; these collectors copy them into the exposition when /metrics is read.

type TypeCounter = 'hitsL1' | 'hitsL2' | 'misses' | 'staleServed' | 'loaderCalls' | 'coalesced'

/** Adds the collectors of `observed` (an app's cache) to that app's registry. */
export function registerCacheMetrics(registry: Registry, observed: TieredCache): void {
  /** A counter labelled by cache_type whose value is read from CacheStats on collect. */
  function perType(name: string, help: string, field: TypeCounter) {
    return new Counter({
      name,
      help,
      labelNames: ['cache_type'] as const,
      registers: [registry],
      collect() {
        this.reset()
        for (const [type, s] of observed.stats.byType) this.inc({ cache_type: type }, s[field])
      },
    })
  }

  new Counter({
    name: 'cache_hits_total',
    help: 'Cache hits by resource and tier (l1, l2)',
    labelNames: ['cache_type', 'tier'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const [type, s] of observed.stats.byType) {
        this.inc({ cache_type: type, tier: 'l1' }, s.hitsL1)
        this.inc({ cache_type: type, tier: 'l2' }, s.hitsL2)
      }
    },
  })
  perType('cache_misses_total', 'Lookups that found nothing usable and waited for the loader', 'misses')
  perType('cache_stale_served_total', 'Expired entries served (stale-while-revalidate or fail-safe grace)', 'staleServed')
  perType('cache_loader_calls_total', 'Loader (database) calls made by the cache', 'loaderCalls')
  perType('cache_coalesced_total', 'Callers that waited for a loader already running (single-flight)', 'coalesced')

  new Gauge({
    name: 'cache_size_bytes',
    help: 'Bytes held by the in-process L1 (tier="l1")',
    labelNames: ['tier'] as const,
    registers: [registry],
    collect() {
      this.set({ tier: 'l1' }, observed.l1Bytes ?? 0)
    },
  })

  new Gauge({
    name: 'cache_keys_total',
    help: 'Entries held by the in-process L1 (tier="l1")',
    labelNames: ['tier'] as const,
    registers: [registry],
    collect() {
      this.set({ tier: 'l1' }, observed.l1Entries ?? 0)
    },
  })

  new Counter({
    name: 'cache_l2_errors_total',
    help: 'Redis calls that failed, timed out or were made while disconnected',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(observed.stats.l2Errors ?? 0)
    },
  })

  new Gauge({
    name: 'cache_l2_breaker_open',
    help: '1 while the L2 circuit breaker skips Redis (open or half-open), else 0',
    registers: [registry],
    collect() {
      const state = observed.breakerState
      this.set(state === undefined || state === 'closed' ? 0 : 1)
    },
  })

  new Counter({
    name: 'cache_resets_detected_total',
    help: 'Times this instance found that Redis had lost the cache versions (restart, flush, eviction, failover) and dropped every cached value',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(observed.stats.resetsDetected ?? 0)
    },
  })

  new Gauge({
    name: 'cache_bus_trusted',
    help: '1 while this instance hears its own heartbeats on the invalidation bus (always 1 without Redis), else 0: cached values are then reloaded once older than CACHE_BUS_DOWN_MAX_AGE',
    registers: [registry],
    collect() {
      this.set(observed.busTrusted ? 1 : 0)
    },
  })

  new Counter({
    name: 'cache_bus_resyncs_total',
    help: 'Times the bus (re)connected and this instance read the versions again and dropped its L1',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(observed.stats.busResyncs ?? 0)
    },
  })

  new Counter({
    name: 'cache_bus_messages_total',
    help: 'Invalidation bus messages sent (direction="out") and received (direction="in")',
    labelNames: ['direction'] as const,
    registers: [registry],
    collect() {
      this.reset()
      this.inc({ direction: 'in' }, observed.stats.busMessagesIn ?? 0)
      this.inc({ direction: 'out' }, observed.stats.busMessagesOut ?? 0)
    },
  })
}
