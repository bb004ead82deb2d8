import { textCheck } from '../../../http/text.ts'
import { TranscriptFormatError, type ParsedSegment } from './segment.ts'

// The rules every transcript obeys before it is stored, whichever format it came in: checked here,
// in one place, so that no input can reach the database as a constraint violation (a 500).

export const MAX_SEGMENTS = 20_000
export const MAX_TEXT_CHARS = 10_000
export const MAX_SPEAKER_CHARS = 100
/** segments.start_ms/end_ms are `integer` columns (about 596 hours). */
export const MAX_MS = 2_147_483_647

/** A segment ready to store: trimmed text, nulls instead of absent fields. */
export interface ValidSegment {
  start_ms: number
  end_ms: number
  text: string
  speaker_label: string | null
  confidence: number | null
}

// Postgres text cannot hold NUL; other control characters (except tab and line breaks) are never
// words. The one text rule of src/http/text.ts; lengths are checked on their own, for their messages.
const cleanText = textCheck({ maxLength: Infinity, multiLine: true })
const cleanLabel = textCheck({ maxLength: Infinity })

const where = (s: ParsedSegment, i: number) => (s.line !== undefined ? `cue ${i + 1} (line ${s.line})` : `segments[${i}]`)
const invalid = (message: string) => new TranscriptFormatError('invalid_segments', message)
const isMs = (n: number) => Number.isInteger(n) && n >= 0 && n <= MAX_MS

/**
 * Checks order (each segment starts at or after the end of the previous one, so they are sorted and
 * never overlap), end >= start, non-empty text and the size limits. Throws TranscriptFormatError:
 * `too_many_segments` past `maxSegments`, `invalid_segments` otherwise, naming the segment.
 */
export function validateSegments(segments: readonly ParsedSegment[], maxSegments = MAX_SEGMENTS): ValidSegment[] {
  if (segments.length > maxSegments) {
    throw new TranscriptFormatError('too_many_segments', `a transcript holds at most ${maxSegments} segments (got ${segments.length})`)
  }
  const out: ValidSegment[] = []
  let previous: ValidSegment | undefined
  segments.forEach((s, i) => {
    const at = where(s, i)
    if (!isMs(s.start_ms)) throw invalid(`${at}: start_ms must be an integer from 0 to ${MAX_MS}`)
    if (!isMs(s.end_ms)) throw invalid(`${at}: end_ms must be an integer from 0 to ${MAX_MS}`)
    if (s.end_ms < s.start_ms) throw invalid(`${at}: ends (${s.end_ms} ms) before it starts (${s.start_ms} ms)`)
    if (previous && s.start_ms < previous.start_ms) {
      throw invalid(`${at}: starts at ${s.start_ms} ms, before the previous segment (${previous.start_ms} ms): segments must be in order`)
    }
    if (previous && s.start_ms < previous.end_ms) {
      throw invalid(`${at}: starts at ${s.start_ms} ms, before the previous segment ends (${previous.end_ms} ms): segments must not overlap`)
    }
    const text = s.text.replace(/\r\n?/g, '\n').trim()
    if (text === '') throw invalid(`${at}: text is empty`)
    if (text.length > MAX_TEXT_CHARS) throw invalid(`${at}: text is longer than ${MAX_TEXT_CHARS} characters`)
    if (!cleanText(text)) throw invalid(`${at}: text contains a control character`)
    const speaker = s.speaker_label?.trim() || null
    if (speaker !== null && (speaker.length > MAX_SPEAKER_CHARS || !cleanLabel(speaker))) {
      throw invalid(`${at}: speaker_label must be at most ${MAX_SPEAKER_CHARS} characters without control characters`)
    }
    const confidence = s.confidence ?? null
    if (confidence !== null && !(Number.isFinite(confidence) && confidence >= 0 && confidence <= 1)) {
      throw invalid(`${at}: confidence must be a number from 0 to 1`)
    }
    previous = { start_ms: s.start_ms, end_ms: s.end_ms, text, speaker_label: speaker, confidence }
    out.push(previous)
  })
  return out
}
