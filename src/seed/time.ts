// The seed's calendar. Every timestamp is placed relative to a fixed date rather than to the
// moment the seed runs, so the same --seed gives byte-identical rows whenever it is run.

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS

/** First upload date: videos span several years, with more in recent ones (as on YouTube). */
export const UPLOADS_FROM = Date.UTC(2019, 0, 1)
/** "Now" inside the demo data: the newest upload, job or event is just before this. */
export const DATA_NOW = Date.UTC(2026, 10, 1)

export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

export function clampToNow(ms: number): number {
  return Math.min(ms, DATA_NOW - 1000)
}
