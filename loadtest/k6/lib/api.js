// @ts-check
// The API as the load tests use it: gzip-accepting GETs tagged by endpoint, the X-Cache hit rate,
// the seeded ids (walked from GET /videos, so k6 needs no database access), Zipf popularity, the
// warm-up, and counters read from /metrics.

import http from 'k6/http'
import { Rate, Trend } from 'k6/metrics'
import { BASE_URL, THRESHOLDS, WORKLOAD, env, targets } from './config.js'

/** Share of cacheable responses served from the cache (X-Cache HIT-L1, HIT-L2 or STALE; MISS counts against). */
export const cacheHits = new Rate('cache_hits')

/** What a client that accepts gzip sends; the server's ready responses hold gzip bytes for it. */
export const GZIP = { 'Accept-Encoding': 'gzip' }

/**
 * A response header, whatever its case (k6 canonicalises names: "Etag", "X-Cache").
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 * @param {string} name
 * @returns {string | undefined}
 */
export function header(res, name) {
  const lower = name.toLowerCase()
  for (const [k, v] of Object.entries(res.headers)) if (k.toLowerCase() === lower) return v
  return undefined
}

/**
 * Counts the response in cache_hits from its X-Cache header (BYPASS and absent headers are not counted).
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 * @param {Record<string, string>} tags
 */
export function recordCache(res, tags) {
  const x = header(res, 'X-Cache')
  if (x === 'HIT-L1' || x === 'HIT-L2' || x === 'STALE') cacheHits.add(true, tags)
  else if (x === 'MISS') cacheHits.add(false, tags)
}

/**
 * GET with gzip, tagged with its endpoint and a route-template name (so k6 groups by route, not by id).
 * @param {string} path
 * @param {string} endpoint
 * @param {string} name
 * @param {Record<string, string>} [extraHeaders]
 */
export function get(path, endpoint, name, extraHeaders) {
  const tags = { endpoint, name }
  const res = http.get(`${BASE_URL}${path}`, { headers: { ...GZIP, ...extraHeaders }, tags })
  recordCache(res, tags)
  return res
}

/** @param {import('./config.js').SearchParams} params */
export function searchPath(params) {
  return `/search?${Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&')}`
}

/**
 * @typedef {object} VideoPage
 * @property {{ id: string }[]} items
 * @property {{ next_cursor: string | null, has_next_page: boolean }} page_info
 */

/**
 * Completed videos (they have transcripts), newest first, up to `max`: the popularity ranking.
 * @param {number} max
 * @returns {string[]}
 */
export function walkVideoIds(max) {
  /** @type {string[]} */
  const ids = []
  /** @type {string | null} */
  let cursor = null
  do {
    const url = `${BASE_URL}/videos?state=completed&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const res = http.get(url, { tags: { endpoint: 'setup', name: 'GET /videos (id walk)' } })
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`)
    const page = /** @type {VideoPage} */ (JSON.parse(String(res.body)))
    for (const item of page.items) ids.push(item.id)
    cursor = page.page_info.has_next_page ? page.page_info.next_cursor : null
  } while (cursor && ids.length < max)
  if (ids.length === 0) throw new Error('no completed videos: seed the database first (transcript-api seed --videos 10000)')
  return ids.slice(0, max)
}

/**
 * Requests every path once, `parallel` at a time (http.batch), with gzip; throws on any failure.
 * @param {string[]} paths
 * @param {number} parallel
 */
export function warm(paths, parallel) {
  for (let i = 0; i < paths.length; i += parallel) {
    const batch = paths.slice(i, i + parallel).map((p) => /** @type {import("k6/http").ArrayBatchRequest} */ (['GET', `${BASE_URL}${p}`, null, { headers: GZIP, tags: { endpoint: 'warmup', name: 'warm-up' } }]))
    for (const res of http.batch(batch)) {
      if (res.status >= 400) throw new Error(`warm-up: ${res.request.url} answered ${res.status}`)
    }
  }
}

/**
 * The mix's paths for every id and query, least popular first (the most popular end up freshest in the LRU).
 * @param {string[]} ids
 */
export function mixedWarmupPaths(ids) {
  const paths = []
  for (const id of [...ids].reverse()) paths.push(`/videos/${id}/transcript`, `/videos/${id}`)
  for (const q of [...WORKLOAD.search_queries].reverse()) paths.push(searchPath(q))
  return paths
}

/**
 * Draws 0-based ranks with probability proportional to 1/(rank+1)^s.
 * @param {number} n
 * @param {number} s
 * @returns {() => number}
 */
export function zipf(n, s) {
  const cdf = new Float64Array(n)
  let total = 0
  for (let r = 0; r < n; r++) {
    total += 1 / Math.pow(r + 1, s)
    cdf[r] = total
  }
  for (let r = 0; r < n; r++) cdf[r] = (cdf[r] ?? 0) / total
  return () => {
    const u = Math.random()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((cdf[mid] ?? 1) > u) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

/** @type {{ ids: number, draw: () => number, query: () => number } | undefined} */
let samplers

/**
 * One request of the guide's 3:2:1 mix of video, transcript and search, ids and queries drawn by popularity.
 * @param {string[]} ids
 */
export function mixedRequest(ids) {
  if (!samplers || samplers.ids !== ids.length) {
    samplers = { ids: ids.length, draw: zipf(ids.length, WORKLOAD.zipf_exponent), query: zipf(WORKLOAD.search_queries.length, WORKLOAD.zipf_exponent) }
  }
  const { video, transcript, search } = WORKLOAD.mix
  const u = Math.random() * (video + transcript + search)
  if (u < video) return get(`/videos/${ids[samplers.draw()]}`, 'video', 'GET /videos/{id}')
  if (u < video + transcript) return get(`/videos/${ids[samplers.draw()]}/transcript`, 'transcript', 'GET /videos/{id}/transcript')
  const q = WORKLOAD.search_queries[samplers.query()] ?? { q: 'know' }
  return get(searchPath(q), 'search', 'GET /search')
}

/**
 * Sum of a Prometheus counter's samples from /metrics whose labels include `labels`; undefined when
 * /metrics is off or refused (ENABLE_METRICS=false, METRICS_TOKEN not given).
 * @param {string} name
 * @param {Record<string, string>} [labels]
 * @returns {number | undefined}
 */
export function metric(name, labels = {}) {
  const token = env('METRICS_TOKEN', '')
  const res = http.get(`${BASE_URL}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {}, tags: { endpoint: 'metrics', name: 'GET /metrics' } })
  if (res.status !== 200) return undefined
  let sum = 0
  for (const line of String(res.body).split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (Number.isFinite(value)) sum += value
  }
  return sum
}

/** Database operations over DB_SLOW_QUERY_MS during the measured traffic (the guide: no query over 100 ms). */
const slowQueries = new Trend('db_slow_queries')

/**
 * Thresholds on db_slow_queries for a scenario: at most max_slow_queries (default 0, the guide's
 * "no query over max_query_ms"); pair with slowQueryBaseline() in setup and recordSlowQueries() in teardown.
 * @param {string} scenario
 * @returns {Record<string, string[]>}
 */
export function slowQueryThreshold(scenario) {
  return { db_slow_queries: [`max<=${targets(scenario).max_slow_queries ?? 0}`] }
}

/** db_slow_queries_total now (after the warm-up), or -1 when /metrics is not readable. */
export function slowQueryBaseline() {
  return metric('db_slow_queries_total') ?? -1
}

/** @param {number} before */
export function recordSlowQueries(before) {
  const after = metric('db_slow_queries_total')
  if (after === undefined || before < 0) {
    console.warn(`/metrics not readable: queries over ${THRESHOLDS.guide.max_query_ms} ms not checked`)
    return
  }
  console.log(`queries over the server's DB_SLOW_QUERY_MS (the guide: ${THRESHOLDS.guide.max_query_ms} ms) during the run: ${after - before}`)
  slowQueries.add(after - before)
}
