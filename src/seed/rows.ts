import { randomTokenHash } from './ids.ts'
import type { JsonValue, PlannedVideo, SeedPlan } from './plan-types.ts'
import { Random } from './prng.ts'
import { speak, whisperText, youtubeText, type Utterance } from './speech.ts'
import { iso } from './time.ts'

// The plan as table rows: one column list per table and a row iterator in the same order. A row
// is a plain array of strings, numbers, nulls and jsonb values, which both loaders (COPY text and
// multi-row INSERT parameters) can encode. Columns left out take their defaults (created_at of
// segments, the ids of bigserial tables).

/**
 * A jsonb value. Wrapped rather than pre-serialised: COPY wants its text, but a string parameter
 * bound to a jsonb column would be serialised again by postgres.js and stored as a JSON string.
 */
export class JsonCell {
  constructor(readonly value: JsonValue) {}
}

export type Cell = string | number | null | JsonCell
export type Row = Cell[]

export interface TableRows {
  table: string
  columns: readonly string[]
  /** How many rows `rows` yields, known in advance for progress. */
  total: number
  rows: Iterable<Row>
}

function* mapRows<T>(items: readonly T[], toRow: (item: T) => Row): Generator<Row> {
  for (const item of items) yield toRow(item)
}

export function jobRows(plan: SeedPlan): TableRows {
  return {
    table: 'jobs',
    columns: ['id', 'kind', 'input_url', 'state', 'priority', 'error', 'meta', 'attempts', 'claimed_by', 'claimed_at', 'created_at', 'updated_at'],
    total: plan.jobs.length,
    rows: mapRows(plan.jobs, (j) => [
      j.id,
      j.kind,
      j.inputUrl,
      j.state,
      j.priority,
      j.error,
      new JsonCell(j.meta),
      j.attempts,
      j.claimedBy,
      j.claimedAt === null ? null : iso(j.claimedAt),
      iso(j.createdAt),
      iso(j.updatedAt),
    ]),
  }
}

export function videoRows(plan: SeedPlan): TableRows {
  return {
    table: 'videos',
    columns: ['id', 'job_id', 'youtube_id', 'title', 'channel_name', 'language', 'category', 'duration_seconds', 'thumbnail_url', 'uploaded_at', 'state', 'error', 'created_at', 'updated_at'],
    total: plan.videos.length,
    rows: mapRows(plan.videos, (v) => [
      v.id,
      v.jobId,
      v.youtubeId,
      v.title,
      v.channel.name,
      v.channel.language,
      v.channel.category,
      v.durationSeconds,
      `https://i.ytimg.com/vi/${v.youtubeId}/hqdefault.jpg`,
      iso(v.uploadedAt),
      v.state,
      v.error,
      iso(v.createdAt),
      iso(v.updatedAt),
    ]),
  }
}

export function transcriptRows(plan: SeedPlan): TableRows {
  const transcripts = plan.videos.flatMap((v) => v.transcripts.map((t) => ({ v, t })))
  return {
    table: 'transcripts',
    columns: ['id', 'video_id', 'source', 'language', 'model', 'created_at'],
    total: transcripts.length,
    rows: mapRows(transcripts, ({ v, t }) => [t.id, v.id, t.source, v.channel.language, t.model, iso(t.createdAt)]),
  }
}

/** Records the text and time range of the favorites that quote this video. */
function fillFavorites(plan: SeedPlan, video: PlannedVideo, utterances: readonly Utterance[], render: (u: Utterance) => string): void {
  for (const f of plan.favoritesByVideo.get(video.index) ?? []) {
    const quoted = utterances.slice(f.firstSegment, f.firstSegment + f.segmentSpan)
    f.startMs = quoted[0]?.startMs ?? 0
    f.endMs = quoted[quoted.length - 1]?.endMs ?? f.startMs
    f.text = quoted.map(render).join(' ')
  }
}

function* generateSegments(plan: SeedPlan): Generator<Row> {
  for (const v of plan.videos) {
    if (v.transcripts.length === 0) continue
    const utterances = speak(new Random(plan.seed, 'timing', v.index), new Random(plan.seed, 'speech', v.index), {
      count: v.segmentCount,
      speakers: v.speakers,
      topicWords: v.topicWords,
    })
    for (const t of v.transcripts) {
      const whisper = t.source === 'whisper'
      const render = whisper ? whisperText : youtubeText
      if (t === v.transcripts[0]) fillFavorites(plan, v, utterances, render)
      // Only Whisper's pipeline diarises and scores its segments; captions carry neither.
      const diarised = whisper && v.speakers > 1
      for (let idx = 0; idx < utterances.length; idx++) {
        const u = utterances[idx]
        if (!u) continue
        yield [t.id, v.id, idx, u.startMs, u.endMs, render(u), diarised ? `SPEAKER_0${u.speaker}` : null, whisper ? u.confidence : null]
      }
    }
  }
}

export function segmentRows(plan: SeedPlan): TableRows {
  return {
    table: 'segments',
    columns: ['transcript_id', 'video_id', 'idx', 'start_ms', 'end_ms', 'text', 'speaker_label', 'confidence'],
    total: plan.segmentCount,
    rows: generateSegments(plan),
  }
}

export function userRows(plan: SeedPlan): TableRows {
  return {
    table: 'users',
    columns: ['id', 'email', 'name', 'avatar_url', 'oauth_provider', 'oauth_subject', 'plan', 'role', 'created_at', 'updated_at'],
    total: plan.users.length,
    rows: mapRows(plan.users, (u) => [u.id, u.email, u.name, u.avatarUrl, u.oauthProvider, u.oauthSubject, u.plan, u.role, iso(u.createdAt), iso(u.updatedAt)]),
  }
}

export function sessionRows(plan: SeedPlan): TableRows {
  return {
    table: 'sessions',
    columns: ['id', 'user_id', 'token_hash', 'user_agent', 'ip', 'expires_at', 'created_at'],
    total: plan.sessions.length,
    // token_hash is random on purpose (see randomTokenHash): the one column that differs per run.
    rows: mapRows(plan.sessions, (s) => [s.id, s.userId, randomTokenHash(), s.userAgent, s.ip, iso(s.expiresAt), iso(s.createdAt)]),
  }
}

/** Must be loaded after segmentRows() has been consumed: that is what fills in the quotes. */
export function favoriteRows(plan: SeedPlan): TableRows {
  return {
    table: 'favorites',
    columns: ['id', 'user_id', 'video_id', 'start_ms', 'end_ms', 'text', 'created_at'],
    total: plan.favorites.length,
    rows: mapRows(plan.favorites, (f) => {
      const video = plan.videos[f.videoIndex]
      if (!video) throw new Error(`favorite ${f.id} points at missing video ${f.videoIndex}`)
      return [f.id, f.userId, video.id, f.startMs, f.endMs, f.text, iso(f.createdAt)]
    }),
  }
}

export function eventRows(plan: SeedPlan): TableRows {
  return {
    table: 'events',
    columns: ['user_id', 'session_id', 'type', 'payload', 'created_at'],
    total: plan.events.length,
    rows: mapRows(plan.events, (e) => [e.userId, e.sessionId, e.type, new JsonCell(e.payload), iso(e.createdAt)]),
  }
}
