import type { ScenarioName } from './options.ts'
import type { TargetName } from './servers.ts'
import { checkMax, checkMin, type Check, type Effective } from './thresholds.ts'
import { hitRateOf, type Measurement } from './wrk.ts'
import { median } from './workload.ts'

// Turns the raw measurements into per-scenario medians, ratios and threshold checks.

export interface Sample {
  scenario: ScenarioName
  target: TargetName
  round: number
  /** 1-minute load average when the measurement started. */
  loadavg: number
  m: Measurement
  /** Deltas of the cache server's /metrics over the measurement (undefined for other targets). */
  slowQueries?: number
  l2Errors?: number
  transcriptLoaderCalls?: number
  rssBeforeMb?: number
  rssAfterMb?: number
  /** The measured server's own CPU time (all threads, /proc) per request, and in cores. */
  cpuUsPerRequest?: number
  cpuCores?: number
}

export interface TargetSummary {
  target: TargetName
  runs: number
  rps: number
  p50: number
  p95: number
  p99: number
  p999: number
  max: number
  requests: number
  /** Median server CPU per request (µs) and cores busy: steadier than req/s on a shared machine. */
  cpuUs: number | undefined
  cpuCores: number | undefined
  errors: number
  errorRate: number
  hitRate: number | undefined
  counts: Measurement['counts']
  slowQueries: number | undefined
  l2Errors: number | undefined
  /** Distinct cold keys the stampede reached, summed over rounds. */
  coldKeys: number | undefined
  loaderCallsPerKey: number | undefined
  rssGrowthMb: number | undefined
}

export interface ScenarioSummary {
  scenario: ScenarioName
  targets: TargetSummary[]
  /** Median over rounds of (cache req/s ÷ other req/s), each from the cache runs right before/after the other's. */
  ratios: Partial<Record<Exclude<TargetName, 'cache'>, number>>
  /**
   * The same from server CPU per request (median of other's µs ÷ median of cache's µs): the
   * throughput ratio the two would have on equal CPU. Far less noisy when other jobs take the
   * machine's cores in turns.
   */
  cpuRatios: Partial<Record<Exclude<TargetName, 'cache'>, number>>
}

const sumCounts = (runs: Measurement[]): Measurement['counts'] => {
  const out: Measurement['counts'] = { hit_l1: 0, hit_l2: 0, miss: 0, stale: 0, bypass: 0, no_header: 0, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0, sent: 0 }
  for (const r of runs) for (const k of Object.keys(out) as (keyof typeof out)[]) out[k] += r.counts[k]
  return out
}

function summariseTarget(target: TargetName, samples: Sample[]): TargetSummary {
  const runs = samples.map((s) => s.m)
  const requests = runs.reduce((a, r) => a + r.requests, 0)
  const errors = runs.reduce((a, r) => a + r.errors, 0)
  const counts = sumCounts(runs)
  const slow = samples.filter((s) => s.slowQueries !== undefined)
  const loaders = samples.filter((s) => s.transcriptLoaderCalls !== undefined && s.m.keysTouched > 0)
  const rss = samples.filter((s) => s.rssBeforeMb !== undefined && s.rssAfterMb !== undefined)
  const cpu = samples.filter((s) => s.cpuUsPerRequest !== undefined)
  return {
    target,
    runs: runs.length,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.latencyMs.p50)),
    p95: median(runs.map((r) => r.latencyMs.p95)),
    p99: median(runs.map((r) => r.latencyMs.p99)),
    p999: median(runs.map((r) => r.latencyMs.p999)),
    max: Math.max(...runs.map((r) => r.latencyMs.max)),
    requests,
    cpuUs: cpu.length > 0 ? median(cpu.map((s) => s.cpuUsPerRequest ?? 0)) : undefined,
    cpuCores: cpu.length > 0 ? median(cpu.map((s) => s.cpuCores ?? 0)) : undefined,
    errors,
    errorRate: errors / Math.max(1, requests),
    hitRate: hitRateOf(counts),
    counts,
    slowQueries: slow.length > 0 ? slow.reduce((a, s) => a + (s.slowQueries ?? 0), 0) : undefined,
    l2Errors: slow.length > 0 ? slow.reduce((a, s) => a + (s.l2Errors ?? 0), 0) : undefined,
    coldKeys: loaders.length > 0 ? loaders.reduce((a, s) => a + s.m.keysTouched, 0) : undefined,
    loaderCallsPerKey:
      loaders.length > 0 ? loaders.reduce((a, s) => a + (s.transcriptLoaderCalls ?? 0), 0) / loaders.reduce((a, s) => a + s.m.keysTouched, 0) : undefined,
    rssGrowthMb: rss.length > 0 ? Math.max(...rss.map((s) => (s.rssAfterMb ?? 0) - (s.rssBeforeMb ?? 0))) : undefined,
  }
}

export function summarise(scenario: ScenarioName, samples: Sample[]): ScenarioSummary {
  const mine = samples.filter((s) => s.scenario === scenario)
  const targets = [...new Set(mine.map((s) => s.target))].map((t) =>
    summariseTarget(
      t,
      mine.filter((s) => s.target === t),
    ),
  )
  const ratios: ScenarioSummary['ratios'] = {}
  const cpuRatios: ScenarioSummary['cpuRatios'] = {}
  for (const other of ['nocache', 'ceiling', 'log-warn', 'metrics-off', 'fleet-redis', 'fleet-cluster'] as const) {
    const perRound: number[] = []
    for (const round of new Set(mine.map((s) => s.round))) {
      // Samples are in the order they ran: compare with the cache runs right next to this one.
      const seq = mine.filter((s) => s.round === round)
      const i = seq.findIndex((s) => s.target === other)
      const b = seq[i]
      if (!b || b.m.rps <= 0) continue
      const adjacent = [seq[i - 1], seq[i + 1]].filter((s): s is Sample => s?.target === 'cache')
      const reference = adjacent.length > 0 ? adjacent : seq.filter((s) => s.target === 'cache')
      if (reference.length === 0) continue
      perRound.push(reference.reduce((a, s) => a + s.m.rps, 0) / reference.length / b.m.rps)
    }
    if (perRound.length > 0) ratios[other] = median(perRound)
    // CPU per request drifts far less than req/s, but a single run can catch a GC or a busy
    // neighbour: the ratio of the medians over all runs is the steadier figure.
    const mineCpu = targets.find((t) => t.target === 'cache')?.cpuUs
    const otherCpu = targets.find((t) => t.target === other)?.cpuUs
    if (mineCpu && otherCpu) cpuRatios[other] = otherCpu / mineCpu
  }
  return { scenario, targets, ratios, cpuRatios }
}

const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`
const pct = (n: number) => `${(n * 100).toFixed(n > 0 && n < 0.001 ? 3 : 2)}%`
const times = (n: number) => `${n.toFixed(2)}×`
const count = (n: number) => n.toFixed(n % 1 === 0 ? 0 : 2)
const mb = (n: number) => `${n.toFixed(0)} MB`

export function checksFor(s: ScenarioSummary, t: Effective, maxQueryMs: number): Check[] {
  const cache = s.targets.find((x) => x.target === 'cache')
  if (!cache) return []
  const name = s.scenario
  const checks: (Check | undefined)[] = [
    checkMax(name, 'p95', cache.p95, t.p95_ms, ms),
    checkMax(name, 'p99', cache.p99, t.p99_ms, ms),
    checkMax(name, 'error rate (socket errors and status ≥ 400)', cache.errorRate, t.max_error_rate, pct),
    checkMin(name, 'cache hit rate (X-Cache HIT-L1, HIT-L2, STALE)', cache.hitRate, t.min_hit_rate, pct),
    checkMax(name, `queries over ${maxQueryMs} ms (db_slow_queries_total)`, cache.slowQueries, t.max_slow_queries ?? 0, count),
    checkMax(name, 'loader calls per cold key', cache.loaderCallsPerKey, t.max_loader_calls_per_key, count),
    checkMax(name, 'RSS growth', cache.rssGrowthMb, t.max_rss_growth_mb, mb),
    checkMin(name, 'throughput ÷ ENABLE_CACHING=false', s.ratios.nocache, t.ratios?.min_vs_nocache, times),
    checkMin(name, 'throughput ÷ Bun.serve ceiling', s.ratios.ceiling, t.ratios?.min_vs_ceiling, times),
    checkMin(name, 'throughput metrics on ÷ off (from server CPU per request)', s.cpuRatios['metrics-off'] ?? s.ratios['metrics-off'], t.ratios?.min_metrics_on_vs_off, times),
    // A fleet must keep the single server's targets: shared L2 and bus, no errors, hits holding.
    ...s.targets
      .filter((x) => x.target === 'fleet-redis' || x.target === 'fleet-cluster')
      .flatMap((x) => [
        checkMax(name, `${x.target} p95`, x.p95, t.p95_ms, ms),
        checkMax(name, `${x.target} error rate`, x.errorRate, t.max_error_rate, pct),
        checkMin(name, `${x.target} cache hit rate`, x.hitRate, t.min_hit_rate, pct),
      ]),
  ]
  return checks.filter((c): c is Check => c !== undefined)
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 10) : c.padStart(widths[i] ?? 10))).join('  ')
}

export function formatTable(s: ScenarioSummary): string[] {
  const widths = [13, 9, 8, 8, 8, 8, 10, 7, 8, 9, 26]
  const lines = [row(['target', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'CPU µs/req', 'cores', 'errors', 'hit rate', 'X-Cache L1/L2/STALE/MISS'], widths)]
  for (const t of s.targets) {
    const c = t.counts
    const xcache = t.target === 'ceiling' ? '(constant)' : t.target === 'nocache' ? `BYPASS ${c.bypass}` : `${c.hit_l1}/${c.hit_l2}/${c.stale}/${c.miss}`
    lines.push(
      row(
        [
          t.target,
          Math.round(t.rps).toLocaleString('en'),
          t.p50.toFixed(2),
          t.p95.toFixed(2),
          t.p99.toFixed(2),
          t.max.toFixed(1),
          t.cpuUs === undefined ? '-' : t.cpuUs.toFixed(1),
          t.cpuCores === undefined ? '-' : t.cpuCores.toFixed(2),
          String(t.errors),
          t.target === 'ceiling' || t.hitRate === undefined ? '-' : pct(t.hitRate),
          xcache,
        ],
        widths,
      ),
    )
  }
  const cache = s.targets.find((t) => t.target === 'cache')
  if (cache?.slowQueries !== undefined) {
    const notes = [`${cache.slowQueries} queries over the slow-query threshold`, `${cache.l2Errors ?? 0} Redis errors/timeouts`]
    if (cache.coldKeys !== undefined && cache.loaderCallsPerKey !== undefined) {
      notes.push(`${cache.coldKeys} cold keys reached, ${Math.round(cache.loaderCallsPerKey * cache.coldKeys)} loader calls`)
    }
    if (cache.rssGrowthMb !== undefined) notes.push(`RSS grew ${cache.rssGrowthMb.toFixed(0)} MB`)
    lines.push(`cache server meanwhile (its /metrics): ${notes.join(', ')}`)
  }
  const r = s.ratios
  const c = s.cpuRatios
  const both = (tp: number | undefined, cpu: number | undefined) => `${tp === undefined ? '-' : times(tp)} by req/s, ${cpu === undefined ? '-' : times(cpu)} by CPU/req`
  const parts: string[] = []
  if (r.nocache !== undefined) parts.push(`cache ÷ ENABLE_CACHING=false ${both(r.nocache, c.nocache)}`)
  if (r.ceiling !== undefined) parts.push(`cache ÷ ceiling ${both(r.ceiling, c.ceiling)}`)
  if (r['metrics-off'] !== undefined) {
    const on = c['metrics-off'] ?? r['metrics-off']
    parts.push(`metrics on ÷ off ${both(r['metrics-off'], c['metrics-off'])} (metrics cost ${pct(1 - on)} by CPU)`)
  }
  if (r['log-warn'] !== undefined) {
    const on = c['log-warn'] ?? r['log-warn']
    parts.push(`LOG_LEVEL info ÷ warn ${both(r['log-warn'], c['log-warn'])} (the request log line costs ${pct(1 - on)} by CPU)`)
  }
  for (const fleet of ['fleet-redis', 'fleet-cluster'] as const) {
    const ratio = r[fleet]
    if (ratio !== undefined) parts.push(`one server ÷ ${fleet} ${both(ratio, c[fleet])} (2 cores: a fleet shares them, so ~1× means nothing regressed)`)
  }
  for (const p of parts) lines.push(`ratio: ${p}`)
  return lines
}
