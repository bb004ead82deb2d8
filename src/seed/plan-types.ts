import type { TranscriptSource } from '../http/transcript-sources.ts'
import type { Channel } from './catalog.ts'

// The shape of a planned data set: every row except segments, whose text is generated while COPY
// streams it. Times are epoch milliseconds; ids are final, so rows can reference each other.

export const JOB_STATES = ['pending', 'downloading', 'transcoding', 'transcribing', 'diarizing', 'persisting', 'completed', 'failed'] as const
export type JobState = (typeof JOB_STATES)[number]


export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export interface PlannedTranscript {
  id: string
  source: TranscriptSource
  model: string | null
  createdAt: number
}

export interface PlannedVideo {
  index: number
  id: string
  youtubeId: string
  jobId: string
  title: string
  channel: Channel
  durationSeconds: number
  uploadedAt: number
  state: JobState
  error: string | null
  createdAt: number
  updatedAt: number
  /** Whisper first when present: favorites quote the first transcript. */
  transcripts: PlannedTranscript[]
  /** Segments in each of this video's transcripts (both sources segment the same speech). */
  segmentCount: number
  speakers: number
  topicWords: string[]
}

export interface PlannedJob {
  id: string
  kind: 'single' | 'channel'
  inputUrl: string
  state: JobState
  priority: number
  error: string | null
  meta: JsonObject
  attempts: number
  claimedBy: string | null
  claimedAt: number | null
  createdAt: number
  updatedAt: number
}

export interface PlannedUser {
  index: number
  id: string
  email: string
  name: string
  avatarUrl: string | null
  oauthProvider: 'google' | 'github'
  oauthSubject: string
  plan: 'free' | 'pro'
  role: 'user' | 'admin'
  createdAt: number
  updatedAt: number
}

export interface PlannedSession {
  id: string
  userId: string
  userAgent: string
  ip: string
  createdAt: number
  expiresAt: number
}

export interface PlannedEvent {
  userId: string | null
  sessionId: string | null
  type: 'search' | 'view' | 'export'
  payload: JsonObject
  createdAt: number
}

/** A saved quote: which segments of which video; the quoted text is filled in as segments stream. */
export interface PlannedFavorite {
  id: string
  userId: string
  videoIndex: number
  firstSegment: number
  segmentSpan: number
  createdAt: number
  startMs: number
  endMs: number
  text: string
}

export interface SeedPlan {
  seed: number
  videos: PlannedVideo[]
  jobs: PlannedJob[]
  users: PlannedUser[]
  sessions: PlannedSession[]
  events: PlannedEvent[]
  favorites: PlannedFavorite[]
  /** Favorites grouped by video index, to fill in while that video's segments are generated. */
  favoritesByVideo: Map<number, PlannedFavorite[]>
  transcriptCount: number
  segmentCount: number
}
