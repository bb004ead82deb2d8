// Runs a k6 script's logic once under Bun, for machines without k6 (like the one this project is
// developed on): a stand-in for the k6 modules the scripts use (k6, k6/http with synchronous
// requests through curl, k6/metrics, k6/execution) executes setup(), a few iterations of the
// default function and teardown() against a real server, and prints the thresholds the script
// declares, every check's result and every request. It checks the scripts' logic (URLs, id walk,
// warm-up, checks, /metrics parsing, thresholds built from thresholds.json), not performance.
//
//   bun loadtest/k6/dry-run.ts loadtest/k6/smoke.js http://127.0.0.1:8000 [iterations]
//
// Exits 1 when a check fails or the script throws.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { plugin } from 'bun'

interface ShimResponse {
  status: number
  body: string | null
  headers: Record<string, string>
  request: { url: string }
  timings: { duration: number }
}

interface Params {
  headers?: Record<string, string>
  tags?: Record<string, string>
  responseCallback?: (status: number) => boolean
}

const [scriptArg, baseUrl, iterationsArg] = process.argv.slice(2)
if (!scriptArg || !baseUrl) {
  console.error('usage: bun loadtest/k6/dry-run.ts SCRIPT.js BASE_URL [iterations]')
  process.exit(2)
}
const iterations = Number(iterationsArg ?? 3)
const scratch = mkdtempSync(join(tmpdir(), 'k6-dry-'))
const log: string[] = []
let checksPassed = 0
const checksFailed: string[] = []
let unexpected = 0

/** Go's canonical header form, as k6 reports names: "x-cache" → "X-Cache". */
const canonical = (name: string) => name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())

function request(method: string, url: string, body: string | null, params: Params = {}): ShimResponse {
  const headerFile = join(scratch, 'h')
  const bodyFile = join(scratch, 'b')
  const args = ['curl', '-s', '-X', method, '-D', headerFile, '-o', bodyFile, '-w', '%{http_code} %{time_total}', '--compressed']
  if (method === 'HEAD') args.splice(1, 0, '-I')
  for (const [k, v] of Object.entries(params.headers ?? {})) args.push('-H', `${k}: ${v}`)
  if (body !== null) args.push('--data-binary', body)
  args.push(url)
  const out = Bun.spawnSync(args, { stdout: 'pipe', stderr: 'pipe' }).stdout.toString().trim().split(' ')
  const status = Number(out[0])
  const headers: Record<string, string> = {}
  for (const line of readFileSync(headerFile, 'utf8').split('\r\n').slice(1)) {
    const i = line.indexOf(':')
    if (i > 0) headers[canonical(line.slice(0, i).trim())] = line.slice(i + 1).trim()
  }
  const text = method === 'HEAD' ? '' : readFileSync(bodyFile, 'utf8')
  const expected = params.responseCallback ? params.responseCallback(status) : status >= 200 && status < 400
  if (!expected) unexpected++
  log.push(`${expected ? '  ' : '!!'} ${method} ${url.replace(baseUrl ?? '', '')} → ${status} ${headers['X-Cache'] ?? ''} ${JSON.stringify(params.tags ?? {})}`)
  return { status, body: text === '' ? null : text, headers, request: { url }, timings: { duration: Number(out[1]) * 1000 } }
}

type BatchItem = string | [string, string, string | null, Params | null]

const http = {
  get: (url: string, params?: Params) => request('GET', url, null, params),
  head: (url: string, params?: Params) => request('HEAD', url, null, params),
  post: (url: string, body: string | null, params?: Params) => request('POST', url, body, params),
  batch: (items: BatchItem[]) => items.map((it) => (typeof it === 'string' ? request('GET', it, null) : request(it[0], it[1], it[2], it[3] ?? {}))),
  expectedStatuses: (...codes: number[]) => (status: number) => codes.includes(status),
}

class Metric {
  readonly values: unknown[] = []
  constructor(readonly name: string) {}
  add(value: unknown, tags?: Record<string, string>) {
    this.values.push(value)
    if (!this.name.startsWith('cache_')) log.push(`   metric ${this.name} += ${JSON.stringify(value)} ${JSON.stringify(tags ?? {})}`)
  }
}
const metrics: Metric[] = []
const metricClass = () =>
  class extends Metric {
    constructor(name: string) {
      super(name)
      metrics.push(this)
    }
  }

let vuIteration = 0
const k6 = {
  check(value: ShimResponse, sets: Record<string, (r: ShimResponse) => boolean>) {
    let all = true
    for (const [name, fn] of Object.entries(sets)) {
      let ok = false
      try {
        ok = fn(value)
      } catch {
        ok = false
      }
      if (ok) checksPassed++
      else checksFailed.push(name)
      log.push(`   check ${ok ? 'ok  ' : 'FAIL'} ${name}`)
      all &&= ok
    }
    return all
  },
  group<T>(name: string, fn: () => T): T {
    log.push(` group ${name}`)
    return fn()
  },
  sleep() {},
}

plugin({
  name: 'k6 stand-in',
  setup(build) {
    build.module('k6', () => ({ exports: { ...k6, default: k6 }, loader: 'object' }))
    build.module('k6/http', () => ({ exports: { ...http, default: http }, loader: 'object' }))
    build.module('k6/metrics', () => ({ exports: { Rate: metricClass(), Trend: metricClass(), Counter: metricClass(), Gauge: metricClass() }, loader: 'object' }))
    const execution = { vu: { get iterationInScenario() { return vuIteration } }, scenario: { get iterationInTest() { return vuIteration } } }
    build.module('k6/execution', () => ({ exports: { ...execution, default: execution }, loader: 'object' }))
  },
})

const g = globalThis as Record<string, unknown>
g.__ENV = { ...process.env, BASE_URL: baseUrl }
g.__VU = 1
g.__ITER = 0
g.open = (path: string) => readFileSync(path.startsWith('file:') ? fileURLToPath(path) : path, 'utf8')

interface Script {
  options?: { thresholds?: Record<string, unknown>; scenarios?: Record<string, unknown> }
  setup?: () => unknown
  default: (data: unknown) => void
  teardown?: (data: unknown) => void
}

let failed = false
try {
  const script = (await import(resolve(scriptArg))) as Script
  console.log(`${scriptArg}: scenarios ${JSON.stringify(script.options?.scenarios)}`)
  console.log(`thresholds ${JSON.stringify(script.options?.thresholds, null, 1)}`)
  const data = script.setup?.()
  const setupRequests = log.length
  log.splice(0, setupRequests, `  (setup: ${setupRequests} log lines)`)
  for (let i = 0; i < iterations; i++) {
    vuIteration = i
    g.__ITER = i
    script.default(data)
  }
  script.teardown?.(data)
} catch (err) {
  failed = true
  console.error(err)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
console.log(log.join('\n'))
const hits = metrics.filter((m) => m.name === 'cache_hits').flatMap((m) => m.values)
console.log(`checks: ${checksPassed} passed, ${checksFailed.length} failed; unexpected statuses: ${unexpected}; cache_hits: ${hits.filter((v) => v === true).length}/${hits.length}`)
process.exit(failed || checksFailed.length > 0 || unexpected > 0 ? 1 : 0)
