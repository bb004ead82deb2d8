// @ts-check
// Smoke: every public route once, with checks on status, body shape and delivery headers.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 [-e API_KEY=…] loadtest/k6/smoke.js
//
// API_KEY (optional): a user's API key (`transcript-api users create … ` prints one); with it the
// exports must download, without it they must answer 401.
// Fails when any check fails, any unexpected status comes back, or p95 is over its target.

import { check, group } from 'k6'
import http from 'k6/http'
import { BASE_URL, env, thresholdsFor } from './lib/config.js'
import { GZIP, get, header, searchPath, walkVideoIds } from './lib/api.js'

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: { smoke: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '1m' } },
  thresholds: {
    ...thresholdsFor('smoke'),
    checks: ['rate==1'],
  },
}

/**
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 * @returns {Record<string, unknown>}
 */
function json(res) {
  try {
    const v = JSON.parse(String(res.body))
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}
  } catch {
    return {}
  }
}

/**
 * @param {import('k6/http').RefinedResponse<import('k6/http').ResponseType | undefined>} res
 * @param {string} code
 */
function isError(res, code) {
  const body = json(res)
  const err = /** @type {{ code?: unknown } | undefined} */ (body.error)
  return err !== undefined && err.code === code
}

/**
 * Params for a request that answers this status on purpose: not counted in http_req_failed.
 * @param {number} status
 */
const expecting = (status) => ({ responseCallback: http.expectedStatuses(status) })

export default function () {
  const [id] = walkVideoIds(1)
  if (!id) throw new Error('no video to test with')

  group('health', () => {
    check(get('/health', 'health', 'GET /health'), { 'health 200 ok': (r) => r.status === 200 && json(r).status === 'ok' })
    check(get('/ready', 'health', 'GET /ready'), { 'ready 200': (r) => r.status === 200 && json(r).status === 'ready' })
  })

  group('videos', () => {
    const list = get('/videos?limit=5', 'list', 'GET /videos')
    const page = /** @type {{ items?: unknown[], page_info?: { next_cursor?: string | null } }} */ (json(list))
    check(list, {
      'list 200 with 5 items': (r) => r.status === 200 && page.items?.length === 5,
      'list is public, max-age=60': (r) => header(r, 'Cache-Control') === 'public, max-age=60',
    })
    const cursor = page.page_info?.next_cursor
    if (cursor) check(get(`/videos?limit=5&cursor=${encodeURIComponent(cursor)}`, 'list', 'GET /videos'), { 'second page 200': (r) => r.status === 200 })
    const bad = http.get(`${BASE_URL}/videos?cursor=not-a-cursor`, { tags: { endpoint: 'list', name: 'GET /videos' }, ...expecting(400) })
    check(bad, { 'malformed cursor 400 invalid_cursor': (r) => r.status === 400 && isError(r, 'invalid_cursor') })

    const video = get(`/videos/${id}`, 'video', 'GET /videos/{id}')
    const etag = header(video, 'ETag')
    check(video, {
      'video 200': (r) => r.status === 200 && json(r).id === id,
      'video has ETag and X-Cache': () => Boolean(etag) && Boolean(header(video, 'X-Cache')),
      'video is public with stale-while-revalidate': (r) => (header(r, 'Cache-Control') ?? '').startsWith('public, max-age=') && (header(r, 'Cache-Control') ?? '').includes('stale-while-revalidate'),
      'video varies on Accept-Encoding': (r) => (header(r, 'Vary') ?? '').includes('Accept-Encoding'),
    })
    const again = http.get(`${BASE_URL}/videos/${id}`, { headers: { 'If-None-Match': etag ?? '' }, tags: { endpoint: 'video', name: 'GET /videos/{id}' }, ...expecting(304) })
    check(again, { 'If-None-Match → 304 with the same ETag': (r) => r.status === 304 && header(r, 'ETag') === etag })
    const head = http.head(`${BASE_URL}/videos/${id}`, { tags: { endpoint: 'video', name: 'HEAD /videos/{id}' } })
    check(head, { 'HEAD 200 without a body': (r) => r.status === 200 && !r.body })
    const missing = http.get(`${BASE_URL}/videos/00000000-0000-4000-8000-000000000000`, { tags: { endpoint: 'video', name: 'GET /videos/{id}' }, ...expecting(404) })
    check(missing, { 'unknown video 404 video_not_found, no-store': (r) => r.status === 404 && isError(r, 'video_not_found') && header(r, 'Cache-Control') === 'no-store' })
  })

  group('transcripts', () => {
    const tr = get(`/videos/${id}/transcript`, 'transcript', 'GET /videos/{id}/transcript')
    const body = /** @type {{ segments?: unknown[] }} */ (json(tr))
    check(tr, {
      'transcript 200 with segments': (r) => r.status === 200 && (body.segments?.length ?? 0) > 0,
      'transcript served gzip to a gzip client': (r) => header(r, 'Content-Encoding') === 'gzip' || Number(header(r, 'Content-Length') ?? 0) < 1024,
    })
    // Exports are for signed-in callers (quota-counted): with API_KEY they must download, without
    // it they must refuse with 401 unauthorized.
    const key = env('API_KEY', '')
    for (const [ext, start] of [['srt', '1\n'], ['vtt', 'WEBVTT']]) {
      const name = `GET /videos/{id}/transcript.${ext}`
      const res = key
        ? http.get(`${BASE_URL}/videos/${id}/transcript.${ext}`, { headers: { ...GZIP, Authorization: `Bearer ${key}` }, tags: { endpoint: 'export', name } })
        : http.get(`${BASE_URL}/videos/${id}/transcript.${ext}`, { headers: GZIP, tags: { endpoint: 'export', name }, responseCallback: http.expectedStatuses(200, 401) })
      check(res, {
        [key ? `${ext} 200 with API_KEY` : `${ext} 200, or 401 unauthorized without a credential`]: (r) =>
          (r.status === 200 && String(r.body).startsWith(start ?? '')) || (!key && r.status === 401 && isError(r, 'unauthorized')),
        [`${ext} is never public`]: (r) => !(header(r, 'Cache-Control') ?? '').includes('public'),
      })
    }
  })

  group('search', () => {
    const res = get(searchPath({ q: 'know' }), 'search', 'GET /search')
    const body = /** @type {{ items?: unknown[] }} */ (json(res))
    check(res, { 'search 200 with hits': (r) => r.status === 200 && (body.items?.length ?? 0) > 0 })
    const blank = http.get(`${BASE_URL}/search?q=`, { tags: { endpoint: 'search', name: 'GET /search' }, ...expecting(400) })
    check(blank, { 'blank q 400 invalid_query': (r) => r.status === 400 && isError(r, 'invalid_query') })
  })

  group('jobs', () => {
    const jobs = get('/jobs?limit=1', 'jobs', 'GET /jobs')
    const page = /** @type {{ items?: { id: string }[] }} */ (json(jobs))
    check(jobs, { 'jobs 200, no-store': (r) => r.status === 200 && header(r, 'Cache-Control') === 'no-store' })
    const job = page.items?.[0]
    if (job) check(get(`/jobs/${job.id}`, 'jobs', 'GET /jobs/{id}'), { 'job 200': (r) => r.status === 200 })
  })

  group('docs and operations', () => {
    check(get('/swagger', 'docs', 'GET /swagger'), { 'swagger page 200': (r) => r.status === 200 && String(r.body).includes('swagger') })
    check(get('/swagger/json', 'docs', 'GET /swagger/json'), { 'openapi document 200': (r) => r.status === 200 && typeof json(r).openapi === 'string' })
    const metrics = http.get(`${BASE_URL}/metrics`, { tags: { endpoint: 'metrics', name: 'GET /metrics' }, responseCallback: http.expectedStatuses(200, 401, 404) })
    check(metrics, { 'metrics 200 (or 401 with METRICS_TOKEN, 404 when off)': (r) => [200, 401, 404].includes(r.status) })
    const unknown = http.get(`${BASE_URL}/no-such-route`, { tags: { endpoint: 'other', name: 'unmatched' }, ...expecting(404) })
    check(unknown, { 'unknown route 404 JSON not_found': (r) => r.status === 404 && isError(r, 'not_found') })
  })
}
