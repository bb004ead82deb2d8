import { namespaceScope } from './keys.ts'

// Cache types and the generation scopes each write invalidates, in one place: a read names the
// scopes it depends on, a write bumps exactly the scopes of what it changed.

export const CacheType = {
  video: 'video',
  videoList: 'videos-list',
  transcript: 'transcript',
  transcriptExport: 'transcript-export',
  search: 'search',
  /** A session token's lookup, keyed by the token's SHA-256 (never the token). */
  session: 'session',
  /** An API key's lookup, keyed by the key's SHA-256. */
  apiKey: 'api-key',
  /** A user's role, plan and profile, keyed by user id: read by the server only, never served as a response. */
  account: 'account',
} as const

export const videoScope = (videoId: string) => `video:${videoId}`
export const transcriptScope = (videoId: string) => `transcript:${videoId}`

/** PATCH /videos/{id}: the video, every list page, and search hits (they show title and channel). */
export const afterVideoEdited = (videoId: string) => [videoScope(videoId), namespaceScope(CacheType.videoList), namespaceScope(CacheType.search)]

/** A new video (worker): drops a cached 404 for it, and the lists now include it. */
export const afterVideoCreated = (videoId: string) => [videoScope(videoId), namespaceScope(CacheType.videoList)]

/** New videos from a channel listing: every list page. */
export const afterVideosListed = [namespaceScope(CacheType.videoList)]

/** Transcript ingest or a finished job: that transcript, its exports, the video's sources, and search. */
export const afterTranscriptReplaced = (videoId: string) => [videoScope(videoId), transcriptScope(videoId), namespaceScope(CacheType.videoList), namespaceScope(CacheType.search)]

/**
 * The scope of a session's or API key's cached lookup: one of 4,096 buckets by the first three hex
 * digits of its SHA-256. One scope per credential would add a generation counter (in Redis and in
 * every instance) for every sign-out, revocation and sliding refresh, forever; a bucket keeps them
 * bounded, and a bump only makes the other ~1/4096 of cached lookups re-read their row once.
 */
export const credentialScope = (hash: string) => `credential:${hash.slice(0, 3)}`
/** One user's account (role, plan, profile). */
export const userScope = (userId: string) => `user:${userId}`

/** Logout, revocation, expiry or a sliding refresh of these sessions/keys: every instance drops its cached lookup. */
export const afterCredentialsChanged = (hashes: readonly string[]) => [...new Set(hashes.map(credentialScope))]

/** A role, plan or profile change: every credential of the user sees it on its next request. */
export const afterAccountChanged = (userId: string) => [userScope(userId)]
