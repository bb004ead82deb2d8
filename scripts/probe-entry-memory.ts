// `bun scripts/probe-entry-memory.ts`: what one cached URL really costs the heap, beside what the
// cache counts for it (L1_MAX_BYTES bounds the counted bytes). For each kind of unique URL, an
// in-process app (L1 only, large enough to keep everything) answers --urls of them; the heap is
// measured after a full collection before and after. The counted bytes should stay above the heap's:
// the per-entry constants in src/cache/tiered-cache.ts, src/http/ready-response.ts and
// src/http/fast-lane.ts come from this.
//
//   bun scripts/probe-entry-memory.ts [--urls 10000] [--database-url URL]
//
// The database defaults to transcript_bench (created and seeded by `bun run bench` when missing).

import { heapStats } from 'bun:jsc'
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { createApp } from '../src/app.ts'
import { createCache } from '../src/cache/create.ts'
import { loadConfig } from '../src/config.ts'
import { createLogger } from '../src/platform/log.ts'

const { values } = parseArgs({
  options: {
    urls: { type: 'string', default: '10000' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/transcript_bench' },
  },
})
const urls = Number(values.urls)
const CONCURRENCY = 32

const KINDS: Record<string, (i: number) => string> = {
  'video-404': () => `/videos/${crypto.randomUUID()}`,
  'transcript-404': () => `/videos/${crypto.randomUUID()}/transcript`,
  search: (i) => `/search?q=coffee+w${i}${crypto.randomUUID().slice(0, 6)}`,
  list: (i) => `/videos?channel=c${i}${crypto.randomUUID().slice(0, 6)}`,
}

const heapBytes = () => {
  Bun.gc(true)
  const h = heapStats()
  return h.heapSize + h.extraMemorySize
}

const config = loadConfig({ DATABASE_URL: values['database-url'] ?? '', LOG_LEVEL: 'error', L1_MAX_BYTES: String(2 ** 32) })
const sql = postgres(values['database-url'] ?? '', { max: 8 })
const log = createLogger('error')
console.log(`heap per cached URL (${urls.toLocaleString('en-US')} unique URLs a kind) vs bytes counted for it`)
try {
  for (const [kind, path] of Object.entries(KINDS)) {
    const cache = createCache(config, undefined, log, `probe-${kind}`)
    const { fetch, fastPath } = createApp({ config, sql, redis: undefined, cache, log, cursorSecret: 'probe'.repeat(8) })
    const ask = async (i: number) => (await fetch(new Request(`http://localhost${path(i)}`))).arrayBuffer()
    // Compiled code, pools and the first entries' structures are not what one more URL costs.
    for (let i = 0; i < 200; i++) await ask(i)
    const [heap0, l1Before, laneBefore] = [heapBytes(), cache.l1Bytes, fastPath.memoBytes]
    for (let i = 0; i < urls; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, (_, j) => ask(i + j)))
    const heap = (heapBytes() - heap0) / urls
    const counted = (cache.l1Bytes - l1Before + fastPath.memoBytes - laneBefore) / urls
    console.log(`  ${kind.padEnd(15)} heap ${heap.toFixed(0).padStart(5)} B  counted ${counted.toFixed(0).padStart(5)} B  ${counted >= heap ? 'ok' : 'UNDERCOUNTED'}`)
    if (counted < heap) process.exitCode = 1
    await cache.close()
  }
} finally {
  await sql.end()
}
