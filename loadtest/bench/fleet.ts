import { cpuMs } from './processes.ts'
import type { Running } from './servers.ts'
import { hitRateOf, runWrk, type Measurement, type WrkRun } from './wrk.ts'

// The fleet scenario: the mixed workload against two servers that share one Redis (a redis-server,
// or a Redis Cluster), as a load balancer would spread it: one wrk per server, half the connections
// each, at the same time. The two runs make one measurement: requests and counts add up; each
// latency percentile is the worse server's (wrk's histograms cannot be merged).

export const FLEET_TARGETS = ['fleet-redis', 'fleet-cluster'] as const
export type FleetTarget = (typeof FLEET_TARGETS)[number]

export function isFleetTarget(target: string): target is FleetTarget {
  return (FLEET_TARGETS as readonly string[]).includes(target)
}

export function mergeRuns(runs: Measurement[]): Measurement {
  const [first, ...rest] = runs
  if (!first) throw new Error('no runs to merge')
  const counts = { ...first.counts }
  for (const r of rest) for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += r.counts[k]
  const worst = (pick: (m: Measurement) => number) => Math.max(...runs.map(pick))
  const sum = (pick: (m: Measurement) => number) => runs.reduce((a, r) => a + pick(r), 0)
  const requests = sum((r) => r.requests)
  const errors = sum((r) => r.errors)
  return {
    requests,
    seconds: worst((r) => r.seconds),
    rps: sum((r) => r.rps),
    mbps: sum((r) => r.mbps),
    latencyMs: {
      p50: worst((r) => r.latencyMs.p50),
      p75: worst((r) => r.latencyMs.p75),
      p90: worst((r) => r.latencyMs.p90),
      p95: worst((r) => r.latencyMs.p95),
      p99: worst((r) => r.latencyMs.p99),
      p999: worst((r) => r.latencyMs.p999),
      max: worst((r) => r.latencyMs.max),
      mean: sum((r) => r.latencyMs.mean * r.requests) / Math.max(1, requests),
    },
    errors,
    errorRate: errors / Math.max(1, requests),
    counts,
    hitRate: hitRateOf(counts),
    keysTouched: sum((r) => r.keysTouched),
  }
}

/** Drives `servers` at once, splitting the connections; the merged measurement and the servers' CPU per request. */
export async function measureFleet(servers: Running[], run: Omit<WrkRun, 'baseUrl'>): Promise<{ m: Measurement; cpuUsPerRequest?: number; cpuCores?: number }> {
  const before = servers.map((s) => cpuMs(s.pid))
  const connections = Math.max(1, Math.floor(run.connections / servers.length))
  const threads = Math.max(1, Math.floor(run.threads / servers.length))
  const m = mergeRuns(await Promise.all(servers.map((s) => runWrk({ ...run, baseUrl: s.baseUrl, connections, threads }))))
  const after = servers.map((s) => cpuMs(s.pid))
  const used = after.reduce<number | undefined>((a, v, i) => (a === undefined || v === undefined || before[i] === undefined ? undefined : a + v - (before[i] as number)), 0)
  if (used === undefined || m.requests === 0) return { m }
  return { m, cpuUsPerRequest: (used * 1000) / m.requests, cpuCores: used / 1000 / m.seconds }
}
