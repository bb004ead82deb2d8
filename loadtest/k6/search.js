// @ts-check
// Search: the realistic query set of loadtest/workload.json (common and rare words, phrases, OR,
// exclusions, channel/language/source/date filters), drawn with a Zipf popularity at a constant
// arrival rate, after one warm-up pass.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 loadtest/k6/search.js
//
// Env: RATE (requests/s, default 300), DURATION (default 60s). Without the warm-up this would
// measure the database rather than the server; scripts/bench-search.ts does that.

import { check } from 'k6'
import { WORKLOAD, env, envInt, thresholdsFor } from './lib/config.js'
import { get, recordSlowQueries, searchPath, slowQueryBaseline, slowQueryThreshold, warm, zipf } from './lib/api.js'

/** @type {import('k6/options').Options} */
export const options = {
  setupTimeout: '5m',
  scenarios: {
    search: {
      executor: 'constant-arrival-rate',
      rate: envInt('RATE', 300),
      timeUnit: '1s',
      duration: env('DURATION', '60s'),
      preAllocatedVUs: 64,
      maxVUs: envInt('MAX_VUS', 200),
    },
  },
  thresholds: { ...thresholdsFor('search'), ...slowQueryThreshold('search') },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
}

const PATHS = WORKLOAD.search_queries.map(searchPath)
const draw = zipf(PATHS.length, WORKLOAD.zipf_exponent)

export function setup() {
  warm([...PATHS].reverse(), 8)
  return { slowBefore: slowQueryBaseline() }
}

export default function () {
  const res = get(PATHS[draw()] ?? '/search?q=know', 'search', 'GET /search')
  check(res, { 'search 200': (r) => r.status === 200 })
}

/** @param {{ slowBefore: number }} data */
export function teardown(data) {
  recordSlowQueries(data.slowBefore)
}
