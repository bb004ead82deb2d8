// @ts-check
// Stampede: VUS virtual users start at once and ask for the same transcripts nobody has asked for
// yet, one cold key after another. Single-flight must turn each burst into one database load:
// every request succeeds, latency stays bounded, and /metrics shows at most one loader call per
// cold key (the loader_calls_per_key threshold).
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 loadtest/k6/stampede.js
//
// Env: VUS (default 64), COLD_KEYS (default 20). The cold ids are the oldest completed videos
// (the end of the GET /videos walk), which smoke and mixed never touch; run it on a server whose
// cache has not seen them (a fresh one, or within CACHE_TRANSCRIPT_TTL of nothing else asking).

import { check } from 'k6'
import exec from 'k6/execution'
import { Trend } from 'k6/metrics'
import { envInt, targets, thresholdsFor } from './lib/config.js'
import { get, metric, walkVideoIds } from './lib/api.js'

const VUS = envInt('VUS', 64)
const COLD_KEYS = envInt('COLD_KEYS', 20)
const T = targets('stampede')

/** Loader calls per cold key over the whole burst, from cache_loader_calls_total (teardown). */
const loaderCallsPerKey = new Trend('loader_calls_per_key')

/** @type {Record<string, string[]>} */
const thresholds = { ...thresholdsFor('stampede') }
if (T.max_loader_calls_per_key !== undefined) thresholds.loader_calls_per_key = [`max<=${T.max_loader_calls_per_key}`]

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    stampede: { executor: 'per-vu-iterations', vus: VUS, iterations: COLD_KEYS, maxDuration: '2m' },
  },
  thresholds,
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
}

const TRANSCRIPT_LOADS = { cache_type: 'transcript' }

export function setup() {
  const all = walkVideoIds(100_000)
  const cold = all.slice(-COLD_KEYS)
  return { cold, loadsBefore: metric('cache_loader_calls_total', TRANSCRIPT_LOADS) ?? -1 }
}

/** @param {{ cold: string[] }} data */
export default function (data) {
  // Every VU walks the same list in the same order, so iteration i of all VUs hits key i together.
  const id = data.cold[exec.vu.iterationInScenario % data.cold.length]
  const res = get(`/videos/${id}/transcript`, 'transcript', 'GET /videos/{id}/transcript')
  check(res, { 'transcript 200': (r) => r.status === 200 })
}

/** @param {{ cold: string[], loadsBefore: number }} data */
export function teardown(data) {
  const after = metric('cache_loader_calls_total', TRANSCRIPT_LOADS)
  if (after === undefined || data.loadsBefore < 0) {
    console.warn('stampede: /metrics not readable (ENABLE_METRICS=false or METRICS_TOKEN missing): loader calls not checked')
    return
  }
  const perKey = (after - data.loadsBefore) / data.cold.length
  console.log(`stampede: ${after - data.loadsBefore} loader calls for ${data.cold.length} cold keys (${perKey.toFixed(2)} per key)`)
  loaderCallsPerKey.add(perKey)
}
