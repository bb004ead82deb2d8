// @ts-check
// What every k6 script shares: the base URL, the targets of loadtest/thresholds.json and the
// workload of loadtest/workload.json (both read once, at init, so CI and `bun run bench` use the
// same numbers), turned into k6 thresholds.

/**
 * @typedef {object} ScenarioTargets
 * @property {string} [description]
 * @property {number} [p95_ms]
 * @property {number} [p99_ms]
 * @property {number} [max_error_rate]
 * @property {number} [min_hit_rate]
 * @property {number} [max_slow_queries]
 * @property {number} [max_loader_calls_per_key]
 * @property {number} [max_rss_growth_mb]
 * @property {Record<string, { p95_ms: number }>} [endpoints]
 * @property {Omit<ScenarioTargets, 'quick' | 'description' | 'endpoints'>} [quick]
 */

/**
 * @typedef {object} ThresholdsFile
 * @property {{ api_p95_ms: number, search_p95_ms: number, max_query_ms: number, min_hit_rate: number, max_error_rate: number }} guide
 * @property {Record<string, ScenarioTargets>} scenarios
 */

/**
 * @typedef {{ q: string } & Record<string, string>} SearchParams
 * @typedef {object} Workload
 * @property {{ video: number, transcript: number, search: number }} mix
 * @property {number} zipf_exponent
 * @property {number} connections
 * @property {SearchParams[]} search_queries
 */

/** @type {ThresholdsFile} */
export const THRESHOLDS = JSON.parse(open(import.meta.resolve('../../thresholds.json')))

/** @type {Workload} */
export const WORKLOAD = JSON.parse(open(import.meta.resolve('../../workload.json')))

/** The server under test, e.g. BASE_URL=http://127.0.0.1:8000 (no trailing slash). */
export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8000').replace(/\/+$/, '')

/** K6_PROFILE=quick applies the thresholds' "quick" overrides (short runs on small machines). */
const QUICK = __ENV.K6_PROFILE === 'quick'

/**
 * @param {string} name
 * @param {string} fallback
 */
export function env(name, fallback) {
  const v = __ENV[name]
  return v === undefined || v === '' ? fallback : v
}

/**
 * @param {string} name
 * @param {number} fallback
 */
export function envInt(name, fallback) {
  const n = Number(env(name, String(fallback)))
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`)
  return n
}

/**
 * A scenario's targets: its own (and its quick overrides under K6_PROFILE=quick), the guide's
 * floor where it says nothing.
 * @param {string} scenario
 */
export function targets(scenario) {
  const own = THRESHOLDS.scenarios[scenario]
  if (!own) throw new Error(`loadtest/thresholds.json has no scenario "${scenario}"`)
  const { quick, ...base } = own
  /** @type {ScenarioTargets} */
  const merged = QUICK && quick ? { ...base, ...quick } : base
  const g = THRESHOLDS.guide
  return {
    ...merged,
    p95_ms: merged.p95_ms ?? (scenario === 'search' ? g.search_p95_ms : g.api_p95_ms),
    max_error_rate: merged.max_error_rate ?? g.max_error_rate,
  }
}

/**
 * k6 thresholds for one scenario: p95 (and p99) of http_req_duration for the scenario and for each
 * of its endpoints, http_req_failed, and the cache_hits rate from X-Cache.
 * @param {string} scenario
 * @returns {Record<string, string[]>}
 */
export function thresholdsFor(scenario) {
  const t = targets(scenario)
  const tag = `scenario:${scenario}`
  /** @type {string[]} */
  const duration = [`p(95)<=${t.p95_ms}`]
  if (t.p99_ms !== undefined) duration.push(`p(99)<=${t.p99_ms}`)
  /** @type {Record<string, string[]>} */
  const out = {
    [`http_req_duration{${tag}}`]: duration,
    [`http_req_failed{${tag}}`]: [`rate<=${t.max_error_rate}`],
  }
  for (const [endpoint, e] of Object.entries(t.endpoints ?? {})) out[`http_req_duration{${tag},endpoint:${endpoint}}`] = [`p(95)<=${e.p95_ms}`]
  if (t.min_hit_rate !== undefined) out[`cache_hits{${tag}}`] = [`rate>=${t.min_hit_rate}`]
  return out
}
