import type { Sql } from '../../src/platform/db.ts'
import { replaceTranscript } from '../../src/modules/transcripts/queries.ts'

/** A video with a whisper transcript of `segments` segments, written through the ingest path. */
export async function videoWithTranscript(sql: Sql, youtubeId: string, segments: number): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO videos (youtube_id, title, channel_name, language, category, uploaded_at, state)
    VALUES (${youtubeId}, ${`A talk about caching ${youtubeId}`}, 'Fixture Channel', 'en', 'Education', '2024-05-01T10:00:00Z', 'completed')
    RETURNING id`
  if (!row) throw new Error('no video row')
  await replaceTranscript(sql, row.id, 'whisper', {
    language: 'en',
    model: 'fixture',
    segments: Array.from({ length: segments }, (_, i) => ({
      start_ms: i * 2000,
      end_ms: i * 2000 + 1800,
      text: `segment ${i}: the cache keeps ready responses so that every hit costs nothing but a lookup`,
      speaker_label: i % 7 === 0 ? 'SPEAKER_1' : null,
      confidence: 0.9,
    })),
  })
  return row.id
}
