import { isVideoId, parseYoutubeUrl, YoutubeUrlError } from '../modules/jobs/youtube-url.ts'
import { TranscriptFormatError, splitLines, type ParsedSegment } from '../modules/transcripts/formats/segment.ts'
import { validateSegments, type ValidSegment } from '../modules/transcripts/formats/validate.ts'
import { parseVttDocument } from '../modules/transcripts/formats/vtt.ts'

// What a transcriber prints on stdout, read into what the worker stores. The protocol (also in
// scripts/transcribers/example-transcriber.sh):
//
// kind=single — either a WebVTT file (first line `WEBVTT`), or JSON lines, one object per line:
//   {"start_ms":0,"end_ms":1200,"text":"Hello.","speaker_label":null,"confidence":0.93}   a segment
//   {"video":{"title":…,"channel_name":…,"language":…,"category":…,"duration_seconds":…,
//             "thumbnail_url":…,"uploaded_at":…},"transcript":{"language":…,"model":…}}  metadata (optional, any line; both keys optional)
//   Segments must be in order and must not overlap; blank lines are ignored.
// kind=channel — the channel's videos, one per line: an 11-character video id or any video URL
//   a job accepts. Blank lines and lines starting with `#` are ignored; duplicates count once.

export class TranscriberOutputError extends Error {}

export interface VideoMetadata {
  title?: string
  channel_name?: string
  language?: string
  category?: string
  duration_seconds?: number
  thumbnail_url?: string
  uploaded_at?: string
}

export interface TranscriptOutput {
  segments: ValidSegment[]
  video: VideoMetadata
  transcript: { language: string | null; model: string | null }
  format: 'vtt' | 'jsonl'
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const STRING_LIMITS: Record<string, number> = { title: 500, channel_name: 200, language: 35, category: 100, thumbnail_url: 2048 }
const VIDEO_FIELDS = new Set([...Object.keys(STRING_LIMITS), 'duration_seconds', 'uploaded_at'])
const SEGMENT_FIELDS = new Set(['start_ms', 'end_ms', 'text', 'speaker_label', 'confidence'])

function readVideo(raw: unknown, line: number): VideoMetadata {
  const fail = (m: string) => new TranscriberOutputError(`line ${line}: video.${m}`)
  if (!isObject(raw)) throw new TranscriberOutputError(`line ${line}: "video" must be an object`)
  const out: Record<string, string | number> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (!VIDEO_FIELDS.has(key)) throw fail(`${key} is not a known field (${[...VIDEO_FIELDS].join(', ')})`)
    if (value === null || value === undefined) continue
    if (key === 'duration_seconds') {
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 2_147_483_647) throw fail('duration_seconds must be a non-negative integer')
      out[key] = value as number
    } else if (key === 'uploaded_at') {
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))) throw fail('uploaded_at must be an ISO-8601 date')
      out[key] = value
    } else {
      const limit = STRING_LIMITS[key] ?? 0
      if (typeof value !== 'string' || value.length > limit) throw fail(`${key} must be a string of at most ${limit} characters`)
      out[key] = value
    }
  }
  return out as VideoMetadata
}

function readTranscriptMeta(raw: unknown, line: number): { language: string | null; model: string | null } {
  if (!isObject(raw)) throw new TranscriberOutputError(`line ${line}: "transcript" must be an object`)
  const pick = (key: 'language' | 'model', limit: number) => {
    const v = raw[key]
    if (v === undefined || v === null) return null
    if (typeof v !== 'string' || v.length > limit)
      throw new TranscriberOutputError(`line ${line}: transcript.${key} must be a string of at most ${limit} characters`)
    return v
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'language' && key !== 'model') throw new TranscriberOutputError(`line ${line}: transcript.${key} is not a known field (language, model)`)
  }
  return { language: pick('language', 35), model: pick('model', 200) }
}

function readSegment(raw: Record<string, unknown>, line: number): ParsedSegment {
  const fail = (m: string) => new TranscriberOutputError(`line ${line}: ${m}`)
  for (const key of Object.keys(raw)) {
    if (!SEGMENT_FIELDS.has(key)) throw fail(`unknown segment field "${key}" (${[...SEGMENT_FIELDS].join(', ')})`)
  }
  const { start_ms, end_ms, text, speaker_label, confidence } = raw
  if (typeof start_ms !== 'number' || typeof end_ms !== 'number') throw fail('start_ms and end_ms must be numbers of milliseconds')
  if (typeof text !== 'string') throw fail('text must be a string')
  if (speaker_label !== undefined && speaker_label !== null && typeof speaker_label !== 'string') throw fail('speaker_label must be a string or null')
  if (confidence !== undefined && confidence !== null && typeof confidence !== 'number') throw fail('confidence must be a number or null')
  return { start_ms, end_ms, text, speaker_label: speaker_label ?? null, confidence: confidence ?? null, line }
}

function parseJsonLines(lines: string[]): Omit<TranscriptOutput, 'segments' | 'format'> & { segments: ParsedSegment[] } {
  const segments: ParsedSegment[] = []
  let video: VideoMetadata = {}
  let transcript = { language: null as string | null, model: null as string | null }
  lines.forEach((text, i) => {
    const line = i + 1
    if (text.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      throw new TranscriberOutputError(`line ${line}: not JSON (expected one JSON object per line, or a WebVTT file): ${JSON.stringify(text.slice(0, 80))}`)
    }
    if (!isObject(value)) throw new TranscriberOutputError(`line ${line}: expected a JSON object`)
    if ('start_ms' in value || 'end_ms' in value || 'text' in value) {
      segments.push(readSegment(value, line))
      return
    }
    for (const key of Object.keys(value)) {
      if (key !== 'video' && key !== 'transcript')
        throw new TranscriberOutputError(`line ${line}: a metadata line holds "video" and/or "transcript", not "${key}"`)
    }
    if (value.video !== undefined) video = { ...video, ...readVideo(value.video, line) }
    if (value.transcript !== undefined) transcript = readTranscriptMeta(value.transcript, line)
  })
  return { segments, video, transcript }
}

/** A single job's stdout, validated with the same rules as an ingested transcript. */
export function parseTranscriptOutput(stdout: string): TranscriptOutput {
  const lines = splitLines(stdout)
  const first = lines.find((l) => l.trim() !== '')
  if (first === undefined) throw new TranscriberOutputError('the transcriber printed nothing on stdout (expected JSON lines or WebVTT)')
  try {
    let parsed: Omit<TranscriptOutput, 'segments' | 'format'> & { segments: ParsedSegment[] }
    let format: TranscriptOutput['format']
    if (/^WEBVTT(?:[ \t]|$)/.test(first)) {
      const doc = parseVttDocument(stdout.slice(stdout.indexOf('WEBVTT')))
      parsed = { segments: doc.segments, video: {}, transcript: { language: doc.language, model: null } }
      format = 'vtt'
    } else {
      parsed = parseJsonLines(lines)
      format = 'jsonl'
    }
    if (parsed.segments.length === 0) throw new TranscriberOutputError('the transcriber printed no segments')
    return { ...parsed, segments: validateSegments(parsed.segments), format }
  } catch (err) {
    if (err instanceof TranscriptFormatError) throw new TranscriberOutputError(`${err.code}: ${err.message}`)
    throw err
  }
}

/** A channel job's stdout: the video ids it lists, first occurrence order, without duplicates. */
export function parseChannelListing(stdout: string): string[] {
  const ids = new Set<string>()
  splitLines(stdout).forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    if (isVideoId(line)) {
      ids.add(line)
      return
    }
    let parsed
    try {
      parsed = parseYoutubeUrl(line)
    } catch (err) {
      if (!(err instanceof YoutubeUrlError)) throw err
      throw new TranscriberOutputError(`line ${i + 1}: ${JSON.stringify(line.slice(0, 80))} is neither a video id nor a video URL (${err.message})`)
    }
    if (parsed.kind !== 'single') throw new TranscriberOutputError(`line ${i + 1}: ${JSON.stringify(line.slice(0, 80))} is a channel, not a video`)
    ids.add(parsed.youtubeId)
  })
  return [...ids]
}
