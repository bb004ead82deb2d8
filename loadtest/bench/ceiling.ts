import type { Server } from 'bun'

// The ceiling of `bun run bench`: a plain Bun.serve answering the API's read paths with constant
// bytes of the sizes the real server sends (its gzip bodies), with the same header set, so the only
// difference left is what the real server does per request (routing, cache lookup, logging,
// metrics). Run by the runner as its own process:
//
//   bun loadtest/bench/ceiling.ts PORT '{"video":519,"transcript":2772,"search":4735,"big":26000,"bigId":"…"}'
//
// Path → body: /search… → search; …/<bigId>/transcript → big; …/transcript → transcript; else video.

export interface CeilingSizes {
  video: number
  transcript: number
  search: number
  /** The 1,000-segment transcript (issue 4); 0 when not measured. */
  big: number
  bigId: string
}

function prepared(size: number, cacheControl: string): { body: Uint8Array<ArrayBuffer>; headers: Headers } {
  const body = new Uint8Array(Math.max(1, size)).fill(0x61)
  const headers = new Headers({
    'cache-control': cacheControl,
    vary: 'Accept-Encoding',
    'x-cache': 'HIT-L1',
    etag: 'W/"ceiling-0"',
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    'content-length': String(body.byteLength),
  })
  return { body, headers }
}

/** Work done for each request before the constant answer (scripts/bench-request-floor.ts adds some). */
export type PerRequestWork = (request: Request, server: Server<undefined>) => void

export function startCeiling(port: number, sizes: CeilingSizes, work?: PerRequestWork) {
  const video = prepared(sizes.video, 'public, max-age=300, stale-while-revalidate=60')
  const transcript = prepared(sizes.transcript, 'public, max-age=3600, stale-while-revalidate=300')
  const search = prepared(sizes.search, 'public, max-age=600, stale-while-revalidate=60')
  const big = prepared(sizes.big, 'public, max-age=3600, stale-while-revalidate=300')
  const bigPath = `/videos/${sizes.bigId}/transcript`
  return Bun.serve({
    port,
    hostname: '127.0.0.1',
    fetch(req, server) {
      work?.(req, server)
      const url = req.url
      const path = url.slice(url.indexOf('/', 8))
      const pick = path.startsWith('/search') ? search : path.endsWith('/transcript') ? (sizes.bigId && path === bigPath ? big : transcript) : video
      return new Response(pick.body, { headers: pick.headers })
    },
  })
}

if (import.meta.main) {
  const [portArg, sizesArg] = process.argv.slice(2)
  if (!portArg || !sizesArg) {
    console.error('usage: bun loadtest/bench/ceiling.ts PORT SIZES_JSON')
    process.exit(2)
  }
  const server = startCeiling(Number(portArg), JSON.parse(sizesArg) as CeilingSizes)
  console.log(`ceiling listening on ${server.port}`)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void server.stop(true).then(() => process.exit(0))
    })
  }
}
