// @ts-check
// Mixed: the performance guide's 3:2:1 mix of GET /videos/{id}, GET /videos/{id}/transcript and
// GET /search over the seeded ids (Zipf popularity), at a ramping arrival rate, on a warm cache.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e RATE=1000 loadtest/k6/mixed.js
//
// Env: RATE (target requests/s, default 500), RAMP (default 30s), HOLD (default 60s),
// MAX_IDS (ids walked from GET /videos, default 2000), MAX_VUS (default 200),
// K6_PROFILE=quick (the thresholds' quick overrides).
// setup() walks the ids and warms every URL of the mix once (like a server that has been up a
// while); its requests carry no scenario tag, so the thresholds only see the measured traffic.

import { env, envInt, thresholdsFor } from './lib/config.js'
import { mixedRequest, mixedWarmupPaths, recordSlowQueries, slowQueryBaseline, slowQueryThreshold, walkVideoIds, warm } from './lib/api.js'

const RATE = envInt('RATE', 500)

/** @type {import('k6/options').Options} */
export const options = {
  setupTimeout: '10m',
  scenarios: {
    mixed: {
      executor: 'ramping-arrival-rate',
      startRate: Math.max(1, Math.round(RATE / 10)),
      timeUnit: '1s',
      preAllocatedVUs: 64,
      maxVUs: envInt('MAX_VUS', 200),
      stages: [
        { target: RATE, duration: env('RAMP', '30s') },
        { target: RATE, duration: env('HOLD', '60s') },
      ],
    },
  },
  thresholds: { ...thresholdsFor('mixed'), ...slowQueryThreshold('mixed') },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
}

export function setup() {
  const ids = walkVideoIds(envInt('MAX_IDS', 2000))
  warm(mixedWarmupPaths(ids), 16)
  return { ids, slowBefore: slowQueryBaseline() }
}

/** @param {{ ids: string[] }} data */
export default function (data) {
  mixedRequest(data.ids)
}

/** @param {{ slowBefore: number }} data */
export function teardown(data) {
  recordSlowQueries(data.slowBefore)
}
