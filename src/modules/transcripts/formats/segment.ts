// The shape every transcript format parses into and serializes from, and the error its parsers throw.
// Nothing here knows about HTTP: the worker imports these files to read the transcriber's output.

/** One cue as read from a file or a JSON body, before validation. Times are milliseconds. */
export interface ParsedSegment {
  start_ms: number
  end_ms: number
  text: string
  speaker_label?: string | null
  confidence?: number | null
  /** 1-based line of the cue's timing line in a VTT/SRT file, so errors can point at it. */
  line?: number
}

/** What the serializers need: a stored segment or a parsed one. */
export interface CueSegment {
  start_ms: number
  end_ms: number
  text: string
  speaker_label?: string | null
}

/**
 * `code` says which rule broke (`invalid_vtt`, `invalid_srt`, `invalid_json`, `invalid_segments`,
 * `too_many_segments`); `message` names the line or segment so a person can fix the file.
 */
export class TranscriptFormatError extends Error {
  constructor(
    readonly code: 'invalid_vtt' | 'invalid_srt' | 'invalid_json' | 'invalid_segments' | 'too_many_segments',
    message: string,
  ) {
    super(message)
    this.name = 'TranscriptFormatError'
  }
}

/** Splits a file into lines, whatever its line endings, without a leading byte-order mark. */
export function splitLines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
}

/** Segment text as one line per non-blank line: cue formats end a cue at the first blank line. */
export function cueLines(text: string): string[] {
  // Most segments are one line: skip the split when there is nothing to split.
  if (!text.includes('\n') && !text.includes('\r')) return text.trim() === '' ? [] : [text.trimEnd()]
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
}

/** `HH:MM:SS<sep>mmm`, hours growing past two digits when needed (both formats allow that). */
export function formatTimestamp(ms: number, separator: ',' | '.'): string {
  const whole = Math.max(0, Math.trunc(ms))
  const hours = Math.floor(whole / 3_600_000)
  const minutes = Math.floor(whole / 60_000) % 60
  const seconds = Math.floor(whole / 1000) % 60
  const millis = whole % 1000
  const pad = (n: number, w: number) => String(n).padStart(w, '0')
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}${separator}${pad(millis, 3)}`
}
