import { canonicalVideoUrl } from '../modules/jobs/youtube-url.ts'
import type { Sql } from '../platform/db.ts'
import type { TranscriptOutput } from './output.ts'
import { held, type Claim } from './queue.ts'

// The worker's writes beyond the queue itself: the video row of a single job, the transcript it
// produced (one transaction), and a channel job's expansion into videos and child jobs. Each is
// fenced by the claim's token (`held`): a worker whose claim was taken over writes nothing.

/** postgres.js binds at most 65,535 parameters per statement; segments take 8 each. */
const SEGMENT_BATCH = 4000

/** Creates or takes over the video row of a single job, in the job's state; its id, or undefined when the claim is gone. */
export async function attachVideo(sql: Sql, c: Claim, youtubeId: string): Promise<string | undefined> {
  const rows = await sql<{ id: string }[]>`
    INSERT INTO videos (youtube_id, job_id, state)
    SELECT ${youtubeId}, j.id, j.state FROM jobs j WHERE ${held(sql, c)}
    ON CONFLICT (youtube_id) DO UPDATE SET job_id = EXCLUDED.job_id, state = EXCLUDED.state, error = NULL, updated_at = now()
    RETURNING id`
  return rows[0]?.id
}

/**
 * Stores the whisper transcript of a single job and completes it, all in one transaction: readers
 * see the old transcript or the new one, never a mix, and a job whose claim was swept meanwhile
 * writes nothing (the row lock on the job serialises this with the sweep and any new claim).
 * Returns the video id, or undefined when the claim is gone.
 */
export async function persistTranscript(sql: Sql, c: Claim, youtubeId: string, out: TranscriptOutput): Promise<string | undefined> {
  return sql.begin(async (tx) => {
    const [job] = await tx`SELECT j.id FROM jobs j WHERE ${held(tx, c)} FOR UPDATE`
    if (!job) return undefined
    const v = out.video
    const [video] = await tx<{ id: string }[]>`
      INSERT INTO videos (youtube_id, job_id, state, title, channel_name, language, category, duration_seconds, thumbnail_url, uploaded_at)
      VALUES (${youtubeId}, ${c.id}, 'completed', ${v.title ?? null}, ${v.channel_name ?? null}, ${v.language ?? out.transcript.language},
              ${v.category ?? null}, ${v.duration_seconds ?? null}, ${v.thumbnail_url ?? null}, ${v.uploaded_at ?? null})
      ON CONFLICT (youtube_id) DO UPDATE SET
        job_id = EXCLUDED.job_id, state = 'completed', error = NULL, updated_at = now(),
        -- what the transcriber reports wins; what it does not know leaves the stored value alone
        title = COALESCE(${v.title ?? null}, videos.title),
        channel_name = COALESCE(${v.channel_name ?? null}, videos.channel_name),
        language = COALESCE(${v.language ?? null}, videos.language, ${out.transcript.language}),
        category = COALESCE(${v.category ?? null}, videos.category),
        duration_seconds = COALESCE(${v.duration_seconds ?? null}::int, videos.duration_seconds),
        thumbnail_url = COALESCE(${v.thumbnail_url ?? null}, videos.thumbnail_url),
        uploaded_at = COALESCE(${v.uploaded_at ?? null}::timestamptz, videos.uploaded_at)
      RETURNING id`
    if (!video) throw new Error(`video ${youtubeId} was not written`)
    const [transcript] = await tx<{ id: string }[]>`
      INSERT INTO transcripts (video_id, source, language, model)
      VALUES (${video.id}, 'whisper', ${out.transcript.language ?? v.language ?? null}, ${out.transcript.model})
      ON CONFLICT (video_id, source) DO UPDATE SET language = EXCLUDED.language, model = EXCLUDED.model, created_at = now()
      RETURNING id`
    if (!transcript) throw new Error(`transcript of ${youtubeId} was not written`)
    await tx`DELETE FROM segments WHERE transcript_id = ${transcript.id}`
    for (let from = 0; from < out.segments.length; from += SEGMENT_BATCH) {
      const rows = out.segments.slice(from, from + SEGMENT_BATCH).map((s, i) => ({
        transcript_id: transcript.id,
        video_id: video.id,
        idx: from + i,
        start_ms: s.start_ms,
        end_ms: s.end_ms,
        text: s.text,
        speaker_label: s.speaker_label,
        confidence: s.confidence,
      }))
      await tx`INSERT INTO segments ${tx(rows, 'transcript_id', 'video_id', 'idx', 'start_ms', 'end_ms', 'text', 'speaker_label', 'confidence')}`
    }
    await tx`
      UPDATE jobs SET state = 'completed', error = NULL, updated_at = now(),
        meta = meta || ${tx.json({ segments: out.segments.length, output_format: out.format })}
      WHERE id = ${c.id}`
    return video.id
  })
}

export interface ChannelExpansion {
  videos_found: number
  jobs_created: number
}

/**
 * Turns a channel listing into video rows and one child single job per video that has no whisper
 * transcript yet and no unfinished job (the same dedupe index as POST /jobs), then completes the
 * channel job. One transaction: a retry after a crash never half-expands a channel. Undefined when
 * the claim is gone.
 */
export async function expandChannel(sql: Sql, c: Claim, youtubeIds: readonly string[]): Promise<ChannelExpansion | undefined> {
  return sql.begin(async (tx) => {
    const [job] = await tx`SELECT j.id FROM jobs j WHERE ${held(tx, c)} FOR UPDATE`
    if (!job) return undefined
    const ids = [...youtubeIds]
    const urls = ids.map(canonicalVideoUrl)
    await tx`
      INSERT INTO videos (youtube_id, state)
      SELECT id, 'pending' FROM unnest(${ids}::text[]) AS id
      ON CONFLICT (youtube_id) DO NOTHING`
    // WITH ORDINALITY keeps the listing's order in created_at ties, via clock_timestamp().
    const children = await tx<{ id: string; youtube_id: string }[]>`
      INSERT INTO jobs (kind, input_url, priority, meta, created_at, updated_at)
      SELECT 'single', l.url, ${c.priority}, jsonb_build_object('youtube_id', l.id, 'parent_job_id', ${c.id}::text), clock_timestamp(), now()
      FROM unnest(${ids}::text[], ${urls}::text[]) WITH ORDINALITY AS l(id, url, n)
      WHERE NOT EXISTS (
        SELECT 1 FROM videos v JOIN transcripts t ON t.video_id = v.id AND t.source = 'whisper' WHERE v.youtube_id = l.id
      )
      ORDER BY l.n
      ON CONFLICT (input_url) WHERE state NOT IN ('completed', 'failed') DO NOTHING
      RETURNING id, meta->>'youtube_id' AS youtube_id`
    if (children.length > 0) {
      await tx`
        UPDATE videos v SET job_id = c.id, state = 'pending', error = NULL, updated_at = now()
        FROM unnest(${children.map((r) => r.id)}::uuid[], ${children.map((r) => r.youtube_id)}::text[]) AS c(id, youtube_id)
        WHERE v.youtube_id = c.youtube_id`
    }
    const result = { videos_found: ids.length, jobs_created: children.length }
    await tx`
      UPDATE jobs SET state = 'completed', error = NULL, updated_at = now(), meta = meta || ${tx.json(result)}
      WHERE id = ${c.id}`
    return result
  })
}
