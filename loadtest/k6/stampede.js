// @ts-check
// Stampede: VUS virtual users start at once and ask for the same transcripts nobody has asked for
// yet, one cold key after another. Single-flight must turn each burst into exactly one database
// load per key: every request succeeds, latency stays bounded, every key's burst was answered by a
// load (some response says X-Cache: MISS; a key that was already warm fails `cold_key_loaded`), and
// /metrics counts exactly as many loader calls as cold keys. Each key loaded at least once and no
// more loads than keys: exactly one each. A warm cache or unreadable /metrics fails, never passes.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 loadtest/k6/stampede.js
//   COLD_KEYS=3 bun loadtest/k6/dry-run.ts loadtest/k6/stampede.js http://127.0.0.1:8000 3   (one VU: as many keys as iterations)
//
// Env: VUS (default 64), COLD_KEYS (default 20). The cold ids are the oldest completed videos
// (the end of the GET /videos walk), which smoke and mixed never touch; run it on a server whose
// cache has not seen them (a fresh one, or within CACHE_TRANSCRIPT_TTL of nothing else asking).

import { check } from 'k6'
import exec from 'k6/execution'
import { Rate, Trend } from 'k6/metrics'
import { envInt, thresholdsFor } from './lib/config.js'
import { get, header, metric, walkVideoIds } from './lib/api.js'

const VUS = envInt('VUS', 64)
const COLD_KEYS = envInt('COLD_KEYS', 20)

/** Loader calls per cold key over the whole burst, from cache_loader_calls_total (teardown). */
const loaderCallsPerKey = new Trend('loader_calls_per_key')
/** Per key (tag `key`): responses that a load answered (X-Cache: MISS, the loader's own or a coalesced waiter's). */
const coldKeyLoaded = new Rate('cold_key_loaded')
/** Single-flight: one load per cold key, exactly. */
const LOADS_PER_KEY = 1

/** @type {Record<string, string[]>} */
const thresholds = {
  ...thresholdsFor('stampede'),
  loader_calls_per_key: [`min>=${LOADS_PER_KEY}`, `max<=${LOADS_PER_KEY}`],
  // Every check, the teardown's count included: k6 does not fail a run on failed checks by itself.
  checks: ['rate==1'],
}
// At least one load for every key: with the exact total above, exactly one each.
for (let key = 0; key < COLD_KEYS; key++) thresholds[`cold_key_loaded{key:${key}}`] = ['rate>0']

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
  const key = exec.vu.iterationInScenario % data.cold.length
  const res = get(`/videos/${data.cold[key]}/transcript`, 'transcript', 'GET /videos/{id}/transcript')
  check(res, { 'transcript 200': (r) => r.status === 200 })
  coldKeyLoaded.add(header(res, 'X-Cache') === 'MISS', { key: String(key) })
}

/** @param {{ cold: string[], loadsBefore: number }} data */
export function teardown(data) {
  const after = metric('cache_loader_calls_total', TRANSCRIPT_LOADS)
  const readable = after !== undefined && data.loadsBefore >= 0
  // Unreadable metrics prove nothing: a failed check, not a skipped one.
  check(readable, { '/metrics readable (ENABLE_METRICS=true, METRICS_TOKEN given)': (ok) => ok })
  if (!readable || after === undefined) return
  const loads = after - data.loadsBefore
  const perKey = loads / data.cold.length
  console.log(`stampede: ${loads} loader calls for ${data.cold.length} cold keys (${perKey.toFixed(2)} per key)`)
  loaderCallsPerKey.add(perKey)
  // 0 means the keys were warm before the burst (nothing was tested), more than 1 a broken single-flight.
  check(loads, { [`exactly ${LOADS_PER_KEY} loader call per cold key`]: (n) => n === LOADS_PER_KEY * data.cold.length })
}
