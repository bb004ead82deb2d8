// @ts-check
// Soak: the mixed workload at a steady arrival rate for a long time. Latency, errors and the hit
// rate must hold for the whole run, and the server's memory must settle (max_rss_growth_mb from
// /metrics' process_resident_memory_bytes, measured after the warm-up and at the end).
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e DURATION=30m loadtest/k6/soak.js
//
// Env: RATE (requests/s, default 200), DURATION (default 30m), MAX_IDS (default 5000).

import { Trend } from 'k6/metrics'
import { env, envInt, targets, thresholdsFor } from './lib/config.js'
import { metric, mixedRequest, mixedWarmupPaths, walkVideoIds, warm } from './lib/api.js'

const T = targets('soak')

/** Growth of the server's resident memory between the end of the warm-up and the end of the run. */
const rssGrowth = new Trend('rss_growth_mb')

/** @type {Record<string, string[]>} */
const thresholds = { ...thresholdsFor('soak') }
if (T.max_rss_growth_mb !== undefined) thresholds.rss_growth_mb = [`max<=${T.max_rss_growth_mb}`]

/** @type {import('k6/options').Options} */
export const options = {
  setupTimeout: '15m',
  scenarios: {
    soak: {
      executor: 'constant-arrival-rate',
      rate: envInt('RATE', 200),
      timeUnit: '1s',
      duration: env('DURATION', '30m'),
      preAllocatedVUs: 32,
      maxVUs: envInt('MAX_VUS', 200),
    },
  },
  thresholds,
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
}

export function setup() {
  const ids = walkVideoIds(envInt('MAX_IDS', 5000))
  warm(mixedWarmupPaths(ids), 16)
  return { ids, rssBefore: metric('process_resident_memory_bytes') ?? -1 }
}

/** @param {{ ids: string[] }} data */
export default function (data) {
  mixedRequest(data.ids)
}

/** @param {{ rssBefore: number }} data */
export function teardown(data) {
  const after = metric('process_resident_memory_bytes')
  if (after === undefined || data.rssBefore < 0) {
    console.warn('soak: /metrics not readable: memory growth not checked')
    return
  }
  const growth = (after - data.rssBefore) / 2 ** 20
  console.log(`soak: resident memory ${(data.rssBefore / 2 ** 20).toFixed(0)} MB after warm-up, ${(after / 2 ** 20).toFixed(0)} MB at the end`)
  rssGrowth.add(growth)
}
