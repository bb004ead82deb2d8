import type { VideoDetailRow, VideoRow } from './queries.ts'

// Rows → the JSON shapes of the API (timestamps as ISO strings).

export function toVideo(r: VideoRow) {
  return {
    id: r.id,
    job_id: r.job_id,
    youtube_id: r.youtube_id,
    title: r.title,
    channel_name: r.channel_name,
    language: r.language,
    category: r.category,
    duration_seconds: r.duration_seconds,
    thumbnail_url: r.thumbnail_url,
    uploaded_at: r.uploaded_at?.toISOString() ?? null,
    state: r.state,
    error: r.error,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  }
}

export const toVideoDetail = (r: VideoDetailRow) => ({ ...toVideo(r), transcript_sources: r.transcript_sources })
