import { cueLines, formatTimestamp, splitLines, TranscriptFormatError, type CueSegment, type ParsedSegment } from './segment.ts'

// WebVTT (https://www.w3.org/TR/webvtt1/): the parser reads what transcribers and YouTube write
// (header metadata, NOTE/STYLE/REGION blocks, cue identifiers and settings, voice spans and other
// markup); the serializer writes the plainest valid file, so every player reads it.

const TIMING = /^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t].*)?$/
const TIMESTAMP = /^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/
const HEADER = /^WEBVTT(?:[ \t].*)?$/
const SKIPPED_BLOCK = /^(?:NOTE(?:[ \t].*)?|STYLE[ \t]*|REGION[ \t]*)$/

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  lrm: '\u200e',
  rlm: '\u200f',
}

function decodeEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1))
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return NAMED_ENTITIES[name] ?? whole
  })
}

const escapeText = (text: string) => (/[&<>]/.test(text) ? text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;') : text)

function parseTimestamp(raw: string, line: number): number {
  const m = TIMESTAMP.exec(raw)
  if (!m) throw new TranscriptFormatError('invalid_vtt', `line ${line}: "${raw}" is not a WebVTT timestamp (expected [HH:]MM:SS.mmm)`)
  const [, h = '0', min = '0', s = '0', ms = '0'] = m
  return Number(h) * 3_600_000 + Number(min) * 60_000 + Number(s) * 1000 + Number(ms)
}

/** The cue's text without markup, and the speaker of its first voice span (`<v Name>`). */
function cuePayload(raw: string[]): { text: string; speaker: string | null } {
  const joined = raw.join('\n')
  const voice = /<v(?:\.[^\s>]*)?[ \t]+([^>]*)>/.exec(joined)
  const speaker = voice?.[1] ? decodeEntities(voice[1]).trim() || null : null
  // Tags (voice, class, italics, karaoke timestamps…) go; text is entity-decoded only afterwards,
  // so an escaped `&lt;` stays a literal `<` instead of opening a tag.
  const text = cueLines(decodeEntities(joined.replace(/<[^>]*(?:>|$)/g, ''))).join('\n')
  return { text: text.trim(), speaker }
}

export interface VttDocument {
  /** From a `Language:` header line (YouTube writes one), else null. */
  language: string | null
  segments: ParsedSegment[]
}

/** Parses a WebVTT file; throws TranscriptFormatError (`invalid_vtt`) naming the line at fault. */
export function parseVttDocument(input: string): VttDocument {
  const lines = splitLines(input)
  const n = lines.length
  if (!HEADER.test(lines[0] ?? '')) {
    throw new TranscriptFormatError('invalid_vtt', 'line 1: a WebVTT file must start with "WEBVTT"')
  }
  let language: string | null = null
  let i = 1
  // Header metadata runs to the first blank line; some writers omit that line before the first cue.
  for (; i < n && (lines[i] ?? '').trim() !== '' && !(lines[i] ?? '').includes('-->'); i++) {
    const meta = /^Language:\s*(\S+)\s*$/i.exec(lines[i] ?? '')
    if (meta?.[1]) language = meta[1]
  }
  const segments: ParsedSegment[] = []
  while (i < n) {
    if ((lines[i] ?? '').trim() === '') {
      i++
      continue
    }
    if (SKIPPED_BLOCK.test(lines[i] ?? '')) {
      while (i < n && (lines[i] ?? '').trim() !== '') i++
      continue
    }
    if (!(lines[i] ?? '').includes('-->')) {
      // A cue identifier: the timing line must follow it directly.
      i++
      if (i >= n || !(lines[i] ?? '').includes('-->')) {
        throw new TranscriptFormatError('invalid_vtt', `line ${i + 1}: expected a cue timing line (00:00:01.000 --> 00:00:02.000) after the cue identifier on line ${i}`)
      }
    }
    const timingLine = i + 1
    const timing = TIMING.exec((lines[i] ?? '').trim())
    if (!timing?.[1] || !timing[2]) {
      throw new TranscriptFormatError('invalid_vtt', `line ${timingLine}: malformed cue timing line (expected 00:00:01.000 --> 00:00:02.000)`)
    }
    const start_ms = parseTimestamp(timing[1], timingLine)
    const end_ms = parseTimestamp(timing[2], timingLine)
    i++
    // Cue text ends at a blank line, or at a line holding "-->" (the next cue's timing).
    const text: string[] = []
    for (; i < n && (lines[i] ?? '').trim() !== '' && !(lines[i] ?? '').includes('-->'); i++) text.push(lines[i] ?? '')
    const payload = cuePayload(text)
    segments.push({ start_ms, end_ms, text: payload.text, speaker_label: payload.speaker, line: timingLine })
  }
  return { language, segments }
}

/** The cues of a WebVTT file (see parseVttDocument). */
export function parseVtt(input: string): ParsedSegment[] {
  return parseVttDocument(input).segments
}

/**
 * A WebVTT file: numbered cues, `HH:MM:SS.mmm` timings, `&`, `<` and `>` escaped (so no cue text can
 * contain `-->` or open a tag), blank lines dropped from cue text, speakers as voice spans.
 */
export function toVtt(segments: readonly CueSegment[]): string {
  let out = 'WEBVTT\n'
  segments.forEach((s, i) => {
    const lines = cueLines(s.text).map(escapeText)
    const speaker = s.speaker_label?.replace(/\s+/g, ' ').trim()
    if (speaker) lines[0] = `<v ${escapeText(speaker)}>${lines[0] ?? ''}`
    out += `\n${i + 1}\n${formatTimestamp(s.start_ms, '.')} --> ${formatTimestamp(s.end_ms, '.')}\n${lines.join('\n')}\n`
  })
  return out
}
