// Reads counters from the server's /metrics (Prometheus text) around a measurement: slow queries
// (the guide's "no query over 100 ms") and cache loader calls (one per cold key under a stampede).

export interface Scrape {
  slowQueries: number
  /** Redis calls that failed or took longer than CACHE_L2_TIMEOUT_MS (each one a miss). */
  l2Errors: number
  loaderCalls: Record<string, number>
  rssBytes: number
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue
    const rest = line.slice(name.length)
    if (rest[0] !== '{' && rest[0] !== ' ') continue
    const close = rest.indexOf('}')
    const labelText = rest[0] === '{' ? rest.slice(1, close) : ''
    if (!Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) continue
    const value = Number(rest.slice(rest[0] === '{' ? close + 1 : 0).trim().split(' ')[0])
    if (Number.isFinite(value)) sum += value
  }
  return sum
}

export async function scrape(baseUrl: string): Promise<Scrape> {
  const res = await fetch(`${baseUrl}/metrics`)
  const text = await res.text()
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`)
  const loaderCalls: Record<string, number> = {}
  for (const type of ['video', 'transcript', 'search']) loaderCalls[type] = sumSamples(text, 'cache_loader_calls_total', { cache_type: type })
  return {
    slowQueries: sumSamples(text, 'db_slow_queries_total'),
    l2Errors: sumSamples(text, 'cache_l2_errors_total'),
    loaderCalls,
    rssBytes: sumSamples(text, 'process_resident_memory_bytes'),
  }
}
