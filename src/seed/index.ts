// The `seed` command's engine: deterministic, realistic demo data, loaded in one transaction
// (COPY on PostgreSQL, multi-row INSERTs on the embedded PGlite). See seed-database.ts.

import type { SeedOptions } from './seed-database.ts'

export { hasVideos, MAX_SEGMENTS_PER_VIDEO, MAX_VIDEOS, SeedConflictError, seedDatabase, validateSeedOptions } from './seed-database.ts'
export type { SeedCounts, SeedOptions, SeedProgress } from './seed-database.ts'
export { MAX_SEED } from './ids.ts'

/**
 * What `serve` loads into an empty embedded database: enough to browse, search and paginate
 * (200 videos, about 11,000 segments), small enough to seed PGlite in a few seconds.
 */
export const DEMO_SEED: SeedOptions = { videos: 200, segmentsPerVideo: 50, seed: 1 }
