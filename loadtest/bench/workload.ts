import { join } from 'node:path'

// The workload shared with the k6 scripts (loadtest/workload.json), and what the runner derives
// from it: the seeded ids in popularity order, the files the Lua script reads, the warm-up, and
// the typical response sizes the ceiling imitates.

export interface SearchParams {
  q: string
  [filter: string]: string
}

export interface Workload {
  mix: { video: number; transcript: number; search: number }
  zipf_exponent: number
  connections: number
  search_queries: SearchParams[]
}

export async function loadWorkload(): Promise<Workload> {
  const raw = (await Bun.file(join(import.meta.dir, '..', 'workload.json')).json()) as Workload
  if (!raw.mix || !Array.isArray(raw.search_queries) || raw.search_queries.length === 0) throw new Error('loadtest/workload.json: mix and search_queries are required')
  return raw
}

export const queryString = (p: SearchParams) => new URLSearchParams(p).toString()

interface VideoPage {
  items: { id: string }[]
  page_info: { next_cursor: string | null; has_next_page: boolean }
}

/** Completed videos (they have transcripts), newest first: that order is the popularity rank. */
export async function walkVideoIds(baseUrl: string, max: number): Promise<string[]> {
  const ids: string[] = []
  let cursor: string | null = null
  do {
    const url = `${baseUrl}/videos?state=completed&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
    const res = await fetch(url)
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`)
    const page = (await res.json()) as VideoPage
    for (const item of page.items) ids.push(item.id)
    cursor = page.page_info.has_next_page ? page.page_info.next_cursor : null
  } while (cursor && ids.length < max)
  return ids.slice(0, max)
}

/** Fetches every URL once with `concurrency` requests in flight; fails on any non-2xx. */
export async function fetchAll(urls: string[], concurrency: number): Promise<void> {
  let next = 0
  const failures: string[] = []
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++] ?? ''
      const res = await fetch(url, { headers: { 'accept-encoding': 'gzip' } })
      await res.arrayBuffer()
      if (!res.ok && failures.length < 5) failures.push(`${res.status} ${url}`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  if (failures.length > 0) throw new Error(`warm-up requests failed:\n${failures.join('\n')}`)
}

/** Bytes on the wire for a gzip-accepting client (Content-Length of the encoded body). */
export async function encodedSize(url: string): Promise<number> {
  const res = await fetch(url, { headers: { 'accept-encoding': 'gzip' }, decompress: false })
  const body = await res.arrayBuffer()
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`)
  return Number(res.headers.get('content-length') ?? body.byteLength)
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

export async function medianSize(urls: string[]): Promise<number> {
  const sizes: number[] = []
  for (const url of urls) sizes.push(await encodedSize(url))
  return Math.round(median(sizes))
}
