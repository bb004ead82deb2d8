// `bun run bench`: the load-test scenarios of loadtest/k6, driven locally by wrk, against the built
// binary on PostgreSQL and Redis on loopback, checked against loadtest/thresholds.json. Every
// measurement runs `--rounds` times, interleaved with the other servers' (caching off, the plain
// Bun.serve ceiling, LOG_LEVEL=warn, metrics off), so ratios come from the same minutes of the same
// machine. Prints a table per scenario, writes <out>/<date>.json and PNG charts, exits 1 when a
// threshold fails. See `--help` and the README's Performance section.

import { mkdir, rm } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { DEMO_SEED } from '../../src/seed/index.ts'
import { chartSvg, renderPng, type Chart, type Panel } from './charts.ts'
import { benchTranscriptBody, benchVideo, BENCH_SEGMENTS, prepareDatabase, type DatabaseInfo } from './database.ts'
import { isFleetTarget, measureFleet, type FleetTarget } from './fleet.ts'
import { scrape } from './metrics.ts'
import { parseOptions, USAGE, UsageError, type BenchOptions, type ScenarioName } from './options.ts'
import { cpuMs, stopAll, stopOnSignals, track } from './processes.ts'
import { startCeiling, startCluster, startRedis, startServer, TARGETS, type Running, type TargetName } from './servers.ts'
import { checksFor, formatTable, summarise, type Sample, type ScenarioSummary } from './summary.ts'
import { effectiveTargets, loadThresholds, type Check, type ThresholdsFile } from './thresholds.ts'
import { fetchAll, loadWorkload, medianSize, queryString, walkVideoIds, type Workload } from './workload.ts'
import { uniqueSearches } from './unique-searches.ts'
import { runWrk } from './wrk.ts'

const ROOT = resolve(import.meta.dir, '..', '..')
const BINARY = join(ROOT, 'dist', 'bench', 'transcript-api')
const FULL_SEED = { videos: 10_000, segmentsPerVideo: 100, seed: 1 }
/** Stampede runs (cold keys run out) and overhead runs (many short alternations) last at most this long. */
const SHORT_SECONDS = 5
const JIT_WARMUP_SECONDS = 3
/** Distinct searches per search-uncached measurement: more than an uncached server answers in a run. */
const UNIQUE_SEARCHES_PER_ROUND = 20_000

/**
 * Which servers each scenario is measured on, in the order they run within a round. The product
 * (`cache`) runs again right before or after each server it is compared with, so every ratio comes
 * from back-to-back measurements: other jobs on a shared machine move throughput by tens of per
 * cent within a minute, more than the differences being measured.
 */
function targetsOf(scenario: ScenarioName, quick: boolean): TargetName[] {
  switch (scenario) {
    case 'mixed':
      return quick ? ['ceiling', 'cache', 'nocache'] : ['cache', 'ceiling', 'cache', 'nocache']
    case 'video':
      return ['cache', 'ceiling', 'cache', 'nocache']
    case 'overhead':
      // `cache` is the product's twin here (see serverFor): same settings, same history as the two.
      // Twice per round in mirrored order (ABC CBA): their differences are a few per cent, so each
      // needs several short runs for a steady median.
      return ['metrics-off', 'cache', 'log-warn', 'log-warn', 'cache', 'metrics-off']
    case 'transcript-1000':
      return ['ceiling', 'cache', 'nocache']
    case 'fleet':
      // One server, then two sharing a redis-server, then two sharing a Redis Cluster; all on the mixed workload.
      return ['cache', 'fleet-redis', 'cache', 'fleet-cluster']
    default:
      return ['cache']
  }
}

function sh(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' })
  return (r.stdout.toString() + r.stderr.toString()).trim()
}

function machine() {
  const cpu = cpus()
  return {
    cpu: cpu[0]?.model ?? '?',
    cores: cpu.length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    bun: Bun.version,
    wrk: sh(['wrk', '--version']).split('\n')[0]?.split(' Copyright')[0] ?? '?',
    /** The binary is built from the work tree: its commit, and how many files differed from it. */
    commit: sh(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    uncommitted_files: sh(['git', '-C', ROOT, 'status', '--porcelain']).split('\n').filter(Boolean).length,
  }
}

async function build(): Promise<void> {
  console.log('building the binary (bun run build)')
  const proc = track('build', Bun.spawn(['bun', 'run', 'build'], { cwd: ROOT, env: { ...process.env, BUILD_OUTFILE: BINARY }, stdout: 'inherit', stderr: 'inherit' }))
  if ((await proc.exited) !== 0) throw new Error('bun run build failed')
}

interface Context {
  opts: BenchOptions
  workload: Workload
  workDir: string
  servers: Partial<Record<TargetName, Running>>
  /**
   * A second server configured exactly like `cache`, for the overhead scenario: it, the
   * LOG_LEVEL=warn one and the ENABLE_METRICS=false one get the same warm-up and serve the same
   * requests, so their heaps and JIT state match and only the one setting differs (the product
   * server also runs every other scenario, and its garbage would be billed to it).
   */
  twin: Running | undefined
  /** The fleet scenario's pairs of servers. */
  fleets: Partial<Record<FleetTarget, Running[]>>
  /** Popular first; the stampede's cold ids are not in here. */
  ids: string[]
  coldFiles: string[]
  /** search-uncached: one file of distinct query strings per round */
  uniqueSearchFiles: string[]
  fixedVideoPath: string
  bigTranscriptPath: string | undefined
}

function luaArgs(ctx: Context, scenario: ScenarioName, round: number): string[] {
  const { mix, zipf_exponent: s } = ctx.workload
  switch (scenario) {
    case 'mixed':
    case 'soak':
    case 'fleet':
      return ['mixed', ctx.workDir, String(s), String(mix.video), String(mix.transcript), String(mix.search)]
    case 'search':
      return ['search', ctx.workDir, String(s)]
    case 'search-uncached':
      return ['unique', ctx.uniqueSearchFiles[round] ?? '', String(ctx.opts.threads)]
    case 'video':
    case 'overhead':
      return ['fixed', ctx.fixedVideoPath]
    case 'transcript-1000':
      return ['fixed', ctx.bigTranscriptPath ?? '']
    case 'stampede':
      return ['stampede', ctx.coldFiles[round] ?? '', String(Math.max(1, Math.floor(ctx.opts.connections / ctx.opts.threads)))]
  }
}

function serverFor(ctx: Context, scenario: ScenarioName, target: TargetName): Running | undefined {
  return scenario === 'overhead' && target === 'cache' ? ctx.twin : ctx.servers[target]
}

function report(scenario: ScenarioName, target: TargetName, m: Sample['m'], load: number, cpuUsPerRequest: number | undefined): void {
  const hit = m.hitRate === undefined || target === 'ceiling' ? '' : `  hit ${(m.hitRate * 100).toFixed(2)}%`
  console.log(
    `  ${scenario.padEnd(16)} ${target.padEnd(13)} ${Math.round(m.rps).toLocaleString('en').padStart(8)} req/s  p95 ${m.latencyMs.p95.toFixed(2).padStart(7)} ms  p99 ${m.latencyMs.p99.toFixed(2).padStart(7)} ms  ${(cpuUsPerRequest ?? Number.NaN).toFixed(1).padStart(6)} µs CPU/req  errors ${m.errors}${hit}  (load ${load.toFixed(2)})`,
  )
}

async function measure(ctx: Context, scenario: ScenarioName, target: TargetName, round: number): Promise<Sample> {
  if (isFleetTarget(target)) {
    const pair = ctx.fleets[target]
    if (!pair) throw new Error(`servers of ${target} are not running`)
    const load = loadavg()[0] ?? 0
    const r = await measureFleet(pair, { args: luaArgs(ctx, scenario, round), seconds: ctx.opts.duration, connections: ctx.opts.connections, threads: ctx.opts.threads })
    report(scenario, target, r.m, load, r.cpuUsPerRequest)
    await Bun.sleep(500)
    return { scenario, target, round, loadavg: load, m: r.m, cpuUsPerRequest: r.cpuUsPerRequest, cpuCores: r.cpuCores }
  }
  const server = serverFor(ctx, scenario, target)
  if (!server) throw new Error(`server ${target} is not running`)
  const seconds = scenario === 'stampede' || scenario === 'overhead' ? Math.min(ctx.opts.duration, SHORT_SECONDS) : ctx.opts.duration
  const observe = target === 'cache'
  const before = observe ? await scrape(server.baseUrl) : undefined
  const load = loadavg()[0] ?? 0
  const cpuBefore = cpuMs(server.pid)
  const m = await runWrk({ baseUrl: server.baseUrl, args: luaArgs(ctx, scenario, round), seconds, connections: ctx.opts.connections, threads: ctx.opts.threads })
  const cpuAfter = cpuMs(server.pid)
  const sample: Sample = { scenario, target, round, loadavg: load, m }
  if (cpuBefore !== undefined && cpuAfter !== undefined && m.requests > 0) {
    sample.cpuUsPerRequest = ((cpuAfter - cpuBefore) * 1000) / m.requests
    sample.cpuCores = (cpuAfter - cpuBefore) / 1000 / m.seconds
  }
  if (before) {
    const after = await scrape(server.baseUrl)
    sample.slowQueries = after.slowQueries - before.slowQueries
    sample.l2Errors = after.l2Errors - before.l2Errors
    if (scenario === 'stampede') sample.transcriptLoaderCalls = (after.loaderCalls.transcript ?? 0) - (before.loaderCalls.transcript ?? 0)
    if (scenario === 'soak') {
      sample.rssBeforeMb = before.rssBytes / 2 ** 20
      sample.rssAfterMb = after.rssBytes / 2 ** 20
    }
  }
  report(scenario, target, m, load, sample.cpuUsPerRequest)
  await Bun.sleep(500)
  return sample
}

/** Least popular first, so the most popular entries are the most recent in the LRU when measuring starts. */
function warmUrls(baseUrl: string, ctx: Context, scenarios: ScenarioName[]): string[] {
  const urls: string[] = []
  if (scenarios.some((s) => s === 'mixed' || s === 'soak' || s === 'fleet')) {
    for (const id of [...ctx.ids].reverse()) urls.push(`${baseUrl}/videos/${id}/transcript`, `${baseUrl}/videos/${id}`)
  }
  if (scenarios.some((s) => s === 'mixed' || s === 'soak' || s === 'fleet' || s === 'search')) {
    for (const q of [...ctx.workload.search_queries].reverse()) urls.push(`${baseUrl}/search?${queryString(q)}`)
  }
  if (scenarios.includes('video') || scenarios.includes('overhead')) urls.push(`${baseUrl}${ctx.fixedVideoPath}`)
  if (scenarios.includes('transcript-1000') && ctx.bigTranscriptPath) urls.push(`${baseUrl}${ctx.bigTranscriptPath}`)
  return urls
}

async function ensureBenchTranscript(databaseUrl: string, cache: Running, adminToken: string): Promise<string> {
  const video = await benchVideo(databaseUrl)
  if (video.segments !== BENCH_SEGMENTS) {
    console.log(`ingesting a ${BENCH_SEGMENTS}-segment transcript for the bench video ${video.id} (PUT /videos/{id}/transcript)`)
    const res = await fetch(`${cache.baseUrl}/videos/${video.id}/transcript?source=whisper`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: benchTranscriptBody(),
    })
    if (!res.ok) throw new Error(`ingest of the bench transcript answered ${res.status}: ${await res.text()}`)
  }
  return video.id
}

function charts(summaries: ScenarioSummary[], subtitle: string, thresholds: ThresholdsFile, quick: boolean): { throughput: Chart; latency: Chart } {
  const colors: Record<TargetName, string> = {
    cache: '#1f77b4',
    nocache: '#d95f02',
    ceiling: '#8c8c8c',
    'log-warn': '#2ca02c',
    'metrics-off': '#9467bd',
    'fleet-redis': '#17becf',
    'fleet-cluster': '#bcbd22',
  }
  const labels: Record<TargetName, string> = {
    cache: 'this server (cache on)',
    nocache: 'ENABLE_CACHING=false',
    ceiling: 'Bun.serve ceiling',
    'log-warn': 'LOG_LEVEL=warn',
    'metrics-off': 'ENABLE_METRICS=false',
    'fleet-redis': '2 servers, one redis-server',
    'fleet-cluster': '2 servers, Redis Cluster',
  }
  const legend = (Object.keys(TARGETS) as TargetName[])
    .filter((t) => summaries.some((s) => s.targets.some((x) => x.target === t)))
    .map((t) => ({ label: labels[t], color: colors[t] }))
  const throughput: Panel[] = summaries.map((s) => ({
    title: `${s.scenario}: throughput`,
    unit: 'req/s',
    groups: s.targets.map((t) => ({ label: t.target, bars: [{ label: t.target, value: t.rps, color: colors[t.target] }] })),
  }))
  const shade: Record<'p50' | 'p95' | 'p99', number> = { p50: 0.4, p95: 0.7, p99: 1 }
  const latency: Panel[] = summaries.map((s) => ({
    title: `${s.scenario}: latency p50 / p95 / p99`,
    unit: 'ms',
    log: true,
    groups: s.targets.map((t) => ({
      label: t.target,
      bars: (['p50', 'p95', 'p99'] as const).map((p) => ({ label: p, value: t[p], color: colors[t.target], opacity: shade[p] })),
    })),
    line: { value: effectiveTargets(thresholds, s.scenario, quick).p95_ms, label: `p95 target ${effectiveTargets(thresholds, s.scenario, quick).p95_ms} ms` },
  }))
  return {
    throughput: { title: 'transcript-api — throughput per scenario (wrk, loopback)', subtitle, panels: throughput, legend },
    latency: { title: 'transcript-api — latency per scenario (bars: p50, p95, p99)', subtitle, panels: latency, legend },
  }
}

async function main(): Promise<number> {
  let opts: BenchOptions
  try {
    const parsed = parseOptions(process.argv.slice(2))
    if (parsed === 'help') {
      console.log(USAGE)
      return 0
    }
    opts = parsed
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`bench: ${err.message}`)
      return 2
    }
    throw err
  }
  stopOnSignals()
  const thresholds = await loadThresholds()
  for (const s of opts.scenarios) effectiveTargets(thresholds, s, opts.quick) // fail fast on a bad file
  const workload = await loadWorkload()
  const started = new Date()
  const load0 = loadavg()
  const m = machine()
  console.log(`bench ${started.toISOString()}  ${m.cores} × ${m.cpu}, ${m.memory_gb} GB, Linux ${m.kernel}, Bun ${m.bun}, ${m.wrk}`)
  console.log(`code: ${m.commit}${m.uncommitted_files > 0 ? ` + ${m.uncommitted_files} uncommitted files` : ''}`)
  console.log(`load average at start: ${load0.map((n) => n.toFixed(2)).join(' ')}  (wrk and the servers share these cores)`)
  console.log(`scenarios ${opts.scenarios.join(', ')}; ${opts.connections} connections, ${opts.rounds} × ${opts.duration} s per measurement${opts.quick ? ' (quick)' : ''}`)

  const outDir = resolve(ROOT, opts.outDir)
  const workDir = join(ROOT, 'loadtest', 'results', 'tmp', 'last-run')
  await rm(workDir, { recursive: true, force: true })
  await mkdir(workDir, { recursive: true })
  await mkdir(outDir, { recursive: true })

  const samples: Sample[] = []
  let db: DatabaseInfo
  const adminToken = crypto.randomUUID()
  try {
    if (opts.build || !(await Bun.file(BINARY).exists())) await build()
    db = await prepareDatabase(opts.databaseUrl, opts.quick ? DEMO_SEED : FULL_SEED)
    console.log(`database ${new URL(opts.databaseUrl).pathname.slice(1)}: ${db.videos.toLocaleString('en')} videos, ≈${db.segments.toLocaleString('en')} segments; PostgreSQL ${db.postgresVersion}, shared_buffers ${db.sharedBuffers}`)
    const redisUrl = opts.redisUrl ?? (Bun.which('redis-server') ? await startRedis() : 'redis://127.0.0.1:6379')
    console.log(`redis ${redisUrl}${opts.redisUrl ? '' : Bun.which('redis-server') ? ' (private, empty)' : ' (shared: no redis-server to start a private one)'}`)

    const needed = new Set<TargetName>(opts.scenarios.flatMap((s) => targetsOf(s, opts.quick)))
    const setup = { binary: BINARY, databaseUrl: opts.databaseUrl, redisUrl, adminToken, slowQueryMs: thresholds.guide.max_query_ms, logDir: workDir }
    const cache = await startServer('cache', setup)
    const servers: Context['servers'] = { cache }
    for (const name of ['nocache', 'log-warn', 'metrics-off'] as const) if (needed.has(name)) servers[name] = await startServer(name, setup)
    const twin = opts.scenarios.includes('overhead') ? await startServer('cache', setup, 'twin') : undefined
    const fleets: Context['fleets'] = {}
    if (opts.scenarios.includes('fleet')) {
      fleets['fleet-redis'] = [await startServer('cache', setup, 'fleet-redis-1'), await startServer('cache', setup, 'fleet-redis-2')]
      const clusterDir = join(workDir, 'cluster')
      await mkdir(clusterDir, { recursive: true })
      const clusterSetup = { ...setup, clusterNodes: await startCluster(clusterDir) }
      console.log(`redis cluster ${clusterSetup.clusterNodes} (private, 3 primaries, no replicas)`)
      fleets['fleet-cluster'] = [await startServer('cache', clusterSetup, 'fleet-cluster-1'), await startServer('cache', clusterSetup, 'fleet-cluster-2')]
    }

    const bigId = opts.scenarios.includes('transcript-1000') ? await ensureBenchTranscript(opts.databaseUrl, cache, adminToken) : undefined
    const all = (await walkVideoIds(cache.baseUrl, 50_000)).filter((id) => id !== bigId)
    const stampedeRounds = opts.scenarios.includes('stampede') ? opts.rounds : 0
    const perRound = opts.quick ? 30 : 1000
    const reserve = Math.min(stampedeRounds * perRound, Math.floor(all.length / 3))
    const ids = all.slice(0, all.length - reserve)
    const cold = all.slice(all.length - reserve)
    const coldFiles: string[] = []
    for (let r = 0; r < stampedeRounds; r++) {
      const file = join(workDir, `cold-${r}.txt`)
      const share = Math.floor(cold.length / stampedeRounds)
      await Bun.write(file, cold.slice(r * share, (r + 1) * share).join('\n') + '\n')
      coldFiles.push(file)
    }
    await Bun.write(join(workDir, 'ids.txt'), ids.join('\n') + '\n')
    await Bun.write(join(workDir, 'queries.txt'), workload.search_queries.map(queryString).join('\n') + '\n')
    const uniqueSearchFiles: string[] = []
    if (opts.scenarios.includes('search-uncached')) {
      for (const [r, list] of uniqueSearches(workload.search_queries, opts.rounds, UNIQUE_SEARCHES_PER_ROUND).entries()) {
        const file = join(workDir, `unique-searches-${r}.txt`)
        await Bun.write(file, list.map(queryString).join('\n') + '\n')
        uniqueSearchFiles.push(file)
      }
    }
    console.log(`ids: ${ids.length.toLocaleString('en')} completed videos in the mix (Zipf s=${workload.zipf_exponent}), ${cold.length} kept cold for the stampede`)

    // Typical sizes on the wire (gzip), from a spread of ids; the fixed video is the median one.
    const step = Math.max(1, Math.floor(ids.length / 41))
    const sampleIds = ids.filter((_, i) => i % step === 0).slice(0, 41)
    const ctx: Context = { opts, workload, workDir, servers, twin, fleets, ids, coldFiles, uniqueSearchFiles, fixedVideoPath: `/videos/${ids[0]}`, bigTranscriptPath: bigId ? `/videos/${bigId}/transcript` : undefined }

    const warmStarted = performance.now()
    const warm = warmUrls(cache.baseUrl, ctx, opts.scenarios)
    await fetchAll(
      warm.concat(sampleIds.flatMap((id) => [`${cache.baseUrl}/videos/${id}`, `${cache.baseUrl}/videos/${id}/transcript`])),
      8,
    )
    const videoSizes: [string, number][] = []
    for (const id of sampleIds) videoSizes.push([id, await medianSize([`${cache.baseUrl}/videos/${id}`])])
    videoSizes.sort((a, b) => a[1] - b[1])
    const [medianVideoId, videoSize] = videoSizes[Math.floor(videoSizes.length / 2)] ?? [ids[0] ?? '', 0]
    ctx.fixedVideoPath = `/videos/${medianVideoId}`
    const sizes = {
      video: videoSize,
      transcript: await medianSize(sampleIds.map((id) => `${cache.baseUrl}/videos/${id}/transcript`)),
      search: await medianSize(workload.search_queries.map((q) => `${cache.baseUrl}/search?${queryString(q)}`)),
      big: ctx.bigTranscriptPath ? await medianSize([`${cache.baseUrl}${ctx.bigTranscriptPath}`]) : 0,
      bigId: bigId ?? '',
    }
    // The overhead trio gets one and the same warm-up (mostly L2 hits: fast), so their L1s hold the same entries.
    for (const server of [twin, servers['log-warn'], servers['metrics-off']]) {
      if (server) await fetchAll(warmUrls(server.baseUrl, ctx, ['mixed', 'overhead']), 8)
    }
    // Each fleet server gets the warm-up (the second of a pair mostly from the L2 the first filled).
    for (const server of Object.values(fleets).flat()) await fetchAll(warmUrls(server.baseUrl, ctx, ['fleet']), 8)
    console.log(`warmed ${warm.length.toLocaleString('en')} URLs in ${((performance.now() - warmStarted) / 1000).toFixed(1)} s; gzip sizes: video ${sizes.video} B, transcript ${sizes.transcript} B, search ${sizes.search} B${sizes.big ? `, ${BENCH_SEGMENTS}-segment transcript ${sizes.big} B` : ''}`)
    if (needed.has('ceiling')) servers.ceiling = await startCeiling(sizes)

    // The warm-up above filled the caches; this warms the JIT: a few seconds of the real load on
    // every server (JavaScriptCore compiles hot paths in tiers, on threads that count as CPU).
    const warmed = new Set<Running>()
    // (Not the stampede's and search-uncached's: they must reach keys nobody asked for yet.)
    for (const scenario of opts.scenarios.filter((sc) => sc !== 'stampede' && sc !== 'search-uncached')) {
      for (const target of new Set(targetsOf(scenario, opts.quick))) {
        const server = serverFor(ctx, scenario, target)
        if (!server || warmed.has(server)) continue
        warmed.add(server)
        await runWrk({ baseUrl: server.baseUrl, args: luaArgs(ctx, scenario, 0), seconds: JIT_WARMUP_SECONDS, connections: opts.connections, threads: opts.threads })
      }
    }
    for (const server of Object.values(fleets).flat()) {
      await runWrk({ baseUrl: server.baseUrl, args: luaArgs(ctx, 'fleet', 0), seconds: JIT_WARMUP_SECONDS, connections: opts.connections, threads: opts.threads })
    }

    const rounds = opts.scenarios.includes('soak') && opts.scenarios.length === 1 ? 1 : opts.rounds
    for (let round = 0; round < rounds; round++) {
      console.log(`round ${round + 1}/${rounds}`)
      for (const scenario of opts.scenarios) {
        if (scenario === 'soak' && round > 0) continue
        const order = targetsOf(scenario, opts.quick)
        // Alternate the order so no server always runs first (or right after the warm-up).
        for (const target of round % 2 === 0 ? order : [...order].reverse()) samples.push(await measure(ctx, scenario, target, round))
      }
    }
    const loadEnd = loadavg()

    const summaries = opts.scenarios.map((s) => summarise(s, samples))
    const checks: Check[] = []
    console.log('')
    for (const s of summaries) {
      const t = effectiveTargets(thresholds, s.scenario, opts.quick)
      const seconds = s.scenario === 'stampede' || s.scenario === 'overhead' ? Math.min(opts.duration, SHORT_SECONDS) : opts.duration
      console.log(`== ${s.scenario}: ${t.description ?? ''}`)
      console.log(`   ${opts.connections} connections, ${rounds} round${rounds > 1 ? 's' : ''} of ${seconds} s per server (the product runs again next to each server it is compared with), medians`)
      for (const line of formatTable(s)) console.log(`   ${line}`)
      const mine = checksFor(s, t, thresholds.guide.max_query_ms)
      for (const c of mine) console.log(`   ${c.ok ? 'PASS' : 'FAIL'}  ${c.what}: ${c.actual} (target ${c.target})`)
      checks.push(...mine)
      console.log('')
    }
    const loads = samples.map((s) => s.loadavg)
    const loadLine = `load average: ${load0[0]?.toFixed(2)} at start, ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} during measurements, ${loadEnd[0]?.toFixed(2)} at the end`
    console.log(loadLine)
    const failed = checks.filter((c) => !c.ok)

    const day = started.toISOString().slice(0, 10)
    const result = {
      date: started.toISOString(),
      machine: m,
      load_average: { start: load0, end: loadEnd, during: { min: Math.min(...loads), max: Math.max(...loads) } },
      options: { ...opts, databaseUrl: opts.databaseUrl.replace(/\/\/[^@]*@/, '//') },
      database: db,
      sizes,
      targets: TARGETS,
      scenarios: summaries,
      checks,
      passed: failed.length === 0,
      samples: samples.map((s) => ({ scenario: s.scenario, target: s.target, round: s.round, loadavg: s.loadavg, ...s.m, slowQueries: s.slowQueries, l2Errors: s.l2Errors, transcriptLoaderCalls: s.transcriptLoaderCalls, cpuUsPerRequest: s.cpuUsPerRequest, cpuCores: s.cpuCores })),
    }
    const jsonPath = join(outDir, `${day}.json`)
    await Bun.write(jsonPath, JSON.stringify(result, null, 2) + '\n')
    console.log(`wrote ${jsonPath.replace(ROOT + '/', '')}`)
    if (opts.charts) {
      const subtitle = `${day} · ${m.cores} × ${m.cpu} · ${opts.connections} connections · medians of ${opts.rounds} × ${opts.duration} s · load avg ${load0[0]?.toFixed(2)}–${Math.max(...loads).toFixed(2)} · wrk and server share the cores`
      const c = charts(summaries, subtitle, thresholds, opts.quick)
      for (const [name, chart] of Object.entries(c)) {
        const path = join(outDir, `${name}.png`)
        await Bun.write(path, renderPng(chartSvg(chart)))
        console.log(`wrote ${path.replace(ROOT + '/', '')}`)
      }
    }
    console.log(failed.length === 0 ? `bench: all ${checks.length} thresholds met` : `bench: ${failed.length} of ${checks.length} thresholds failed: ${failed.map((c) => `${c.scenario} ${c.what}`).join('; ')}`)
    return failed.length === 0 ? 0 : 1
  } finally {
    await stopAll()
  }
}

process.exit(await main())
