import type postgres from 'postgres'
import { TRANSCRIPT_SOURCES, type TranscriptSource } from '../../http/transcript-sources.ts'
import type { Sql } from '../../platform/db.ts'
import type { ValidSegment } from './formats/validate.ts'

// Transcript reads and the atomic replace. Every read is ONE statement, so it sees one snapshot:
// a replace committing halfway through a read can never show the old transcript with the new
// segments, or none at all.

export type SourceChoice = TranscriptSource | 'best'

export interface StoredSegment {
  idx: number
  start_ms: number
  end_ms: number
  text: string
  speaker_label: string | null
}

export interface StoredTranscript {
  video_id: string
  youtube_id: string
  transcript_id: string
  source: TranscriptSource
  language: string | null
  model: string | null
  created_at: Date
  segments: StoredSegment[]
}

export type TranscriptLookup =
  | { found: 'video_not_found' }
  | { found: 'not_ready'; youtube_id: string }
  | { found: 'transcript'; transcript: StoredTranscript }

interface ReadRow {
  youtube_id: string
  transcript_id: string | null
  source: TranscriptSource | null
  language: string | null
  model: string | null
  created_at: Date | null
  idx: number | null
  start_ms: number | null
  end_ms: number | null
  text: string | null
  speaker_label: string | null
}

/** The read as one statement, not yet run: EXPLAIN tests wrap it to check the plan of the exact SQL served. */
export function readTranscriptQuery(sql: Sql, videoId: string, choice: SourceChoice) {
  // `best` prefers whisper (our own transcription) over YouTube's captions.
  const sources: readonly TranscriptSource[] = choice === 'best' ? TRANSCRIPT_SOURCES : [choice]
  return sql<ReadRow[]>`
    SELECT v.youtube_id, t.id AS transcript_id, t.source, t.language, t.model, t.created_at,
           s.idx, s.start_ms, s.end_ms, s.text, s.speaker_label
    FROM videos v
    LEFT JOIN LATERAL (
      SELECT id, source, language, model, created_at FROM transcripts
      WHERE video_id = v.id AND source IN ${sql(sources)}
      ORDER BY source = 'whisper' DESC
      LIMIT 1
    ) t ON true
    LEFT JOIN segments s ON s.transcript_id = t.id
    WHERE v.id = ${videoId}
    ORDER BY s.idx`
}

export async function readTranscript(sql: Sql, videoId: string, choice: SourceChoice): Promise<TranscriptLookup> {
  const rows = await readTranscriptQuery(sql, videoId, choice)
  const first = rows[0]
  if (!first) return { found: 'video_not_found' }
  if (!first.transcript_id || !first.source || !first.created_at) return { found: 'not_ready', youtube_id: first.youtube_id }
  const segments: StoredSegment[] = []
  for (const r of rows) {
    if (r.idx === null) continue // a transcript without segments: the LEFT JOIN's one empty row
    segments.push({ idx: r.idx, start_ms: r.start_ms ?? 0, end_ms: r.end_ms ?? 0, text: r.text ?? '', speaker_label: r.speaker_label })
  }
  return {
    found: 'transcript',
    transcript: {
      video_id: videoId,
      youtube_id: first.youtube_id,
      transcript_id: first.transcript_id,
      source: first.source,
      language: first.language,
      model: first.model,
      created_at: first.created_at,
      segments,
    },
  }
}

export interface TranscriptInput {
  language: string | null
  model: string | null
  segments: readonly ValidSegment[]
}

export interface TranscriptSummary {
  id: string
  video_id: string
  source: TranscriptSource
  language: string | null
  model: string | null
  segment_count: number
  created_at: Date
  /** Whether an earlier transcript from this source was replaced. */
  replaced: boolean
}

/**
 * Replaces the (video, source) transcript inside the caller's transaction: the worker calls this
 * with its own transaction, so a job's state change commits together with its transcript.
 * Returns undefined when the video does not exist. Segments must already be validated.
 */
export async function replaceTranscriptIn(
  tx: postgres.TransactionSql,
  videoId: string,
  source: TranscriptSource,
  input: TranscriptInput,
): Promise<TranscriptSummary | undefined> {
  // Locking the video row queues concurrent replaces of one video: without it, two of them would
  // both delete the old row and the second insert would hit the (video_id, source) unique key.
  const [video] = await tx<{ id: string }[]>`UPDATE videos SET updated_at = now() WHERE id = ${videoId} RETURNING id`
  if (!video) return undefined
  const removed = await tx`DELETE FROM transcripts WHERE video_id = ${videoId} AND source = ${source} RETURNING id`
  const [row] = await tx<{ id: string; created_at: Date }[]>`
    INSERT INTO transcripts (video_id, source, language, model)
    VALUES (${videoId}, ${source}, ${input.language}, ${input.model})
    RETURNING id, created_at`
  if (!row) throw new Error('INSERT … RETURNING returned no row')
  if (input.segments.length > 0) {
    // One statement for all segments: a single JSON parameter sidesteps the 65,535 bind-parameter
    // limit a multi-row VALUES list would hit at about 8,000 segments. It is sent as text
    // (`::text::json`): typed json, postgres.js would JSON-encode the string a second time.
    const rows = input.segments.map((s, idx) => ({ idx, ...s }))
    await tx`
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text, speaker_label, confidence)
      SELECT ${row.id}, ${videoId}, r.idx, r.start_ms, r.end_ms, r.text, r.speaker_label, r.confidence
      FROM json_to_recordset(${JSON.stringify(rows)}::text::json)
        AS r(idx integer, start_ms integer, end_ms integer, text text, speaker_label text, confidence real)`
  }
  return {
    id: row.id,
    video_id: videoId,
    source,
    language: input.language,
    model: input.model,
    segment_count: input.segments.length,
    created_at: row.created_at,
    replaced: removed.length > 0,
  }
}

/** Replaces the (video, source) transcript in one transaction: readers see the old one or the new one, whole. */
export async function replaceTranscript(sql: Sql, videoId: string, source: TranscriptSource, input: TranscriptInput) {
  return sql.begin((tx) => replaceTranscriptIn(tx, videoId, source, input))
}
