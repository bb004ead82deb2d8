import type { SearchParams } from './workload.ts'

// The search-uncached scenario's requests: the realistic query set of loadtest/workload.json, each
// with a random page size and, half the time, a random upload-date floor, so that no URL repeats
// within a run and every request is a cache miss that reaches PostgreSQL.

const FIRST_DAY = Date.UTC(2015, 0, 1)
const DAYS = 11 * 365

/** A small deterministic generator (mulberry32): the same lists on every run, for comparable runs. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `count` distinct search parameter sets per list, `lists` lists with no parameter set in common
 * (one list per measurement, so a round never asks for what an earlier round cached).
 */
export function uniqueSearches(queries: SearchParams[], lists: number, count: number, seed = 1): SearchParams[][] {
  const next = random(seed)
  const seen = new Set<string>()
  const out: SearchParams[][] = []
  const capacity = queries.length * 91 * (DAYS + 1)
  if (lists * count > capacity / 2) throw new Error(`unique searches: ${lists} × ${count} is too close to the ${capacity} combinations`)
  for (let l = 0; l < lists; l++) {
    const list: SearchParams[] = []
    while (list.length < count) {
      const base = queries[Math.floor(next() * queries.length)]
      if (!base) continue
      const p: SearchParams = { ...base, limit: String(10 + Math.floor(next() * 91)) }
      if (next() < 0.5 && base.date_from === undefined) p.date_from = new Date(FIRST_DAY + Math.floor(next() * DAYS) * 86_400_000).toISOString().slice(0, 10)
      // limit=50 is the default: without another parameter it would be the warm-up's cached page.
      if (p.limit === '50' && p.date_from === undefined) continue
      const key = new URLSearchParams(p).toString()
      if (seen.has(key)) continue
      seen.add(key)
      list.push(p)
    }
    out.push(list)
  }
  return out
}
