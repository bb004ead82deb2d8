import { namespaceScope } from './tiered-cache.ts'

// Cache types and the generation scopes each write invalidates, in one place: a read names the
// scopes it depends on, a write bumps exactly the scopes of what it changed.

export const CacheType = {
  video: 'video',
  videoList: 'videos-list',
  transcript: 'transcript',
  transcriptExport: 'transcript-export',
  search: 'search',
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
