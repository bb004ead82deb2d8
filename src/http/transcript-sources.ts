// Where a transcript comes from: the values of the `transcript_source` enum (sql/0001_schema.sql).
// The videos and transcripts modules and the seed all speak of them, so they are written here once.

export const TRANSCRIPT_SOURCES = ['whisper', 'youtube'] as const
export type TranscriptSource = (typeof TRANSCRIPT_SOURCES)[number]
