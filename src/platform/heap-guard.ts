import { heapSize } from 'bun:jsc'

// JavaScriptCore sizes its garbage collection thresholds from the machine's RAM: on a 24 GiB VM a
// flood of unique URLs let the heap grow to several times its live data before a full collection
// (cache entries live long enough to leave the young generation, then are evicted: old garbage),
// so the process's memory followed the flood rather than L1_MAX_BYTES (`bun scripts/bench-memory.ts`).
// While the cache is evicting, the guard checks the heap ten times a second and collects when it
// has grown by half of what was live after the last collection (and by more than a few MB). A
// workload whose keys repeat evicts nothing: its garbage dies young, goes in JavaScriptCore's own
// young collections, and it never pays for a full collection here (one would pause every request).

const CHECK_EVERY_MS = 100
/** Growth below this is never worth a full collection. */
const MIN_GROWTH_BYTES = 16 * 1024 * 1024
const GROWTH_FACTOR = 1.5

/** Starts the guard; `evictions` is the cache's running count of entries evicted. Returns its stop. */
export function guardHeap(evictions: () => number): () => void {
  let limit = heapSize() * GROWTH_FACTOR + MIN_GROWTH_BYTES
  let evicted = evictions()
  const timer = setInterval(() => {
    const now = evictions()
    const churning = now !== evicted
    evicted = now
    if (!churning || heapSize() <= limit) return
    Bun.gc(true)
    const live = heapSize()
    limit = Math.max(live * GROWTH_FACTOR, live + MIN_GROWTH_BYTES)
  }, CHECK_EVERY_MS)
  timer.unref()
  return () => clearInterval(timer)
}
