import { cueLines, formatTimestamp, splitLines, TranscriptFormatError, type CueSegment, type ParsedSegment } from './segment.ts'

// SubRip: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, text up to the next blank line. There is
// no escaping in SubRip, so text is written as is; only blank lines must never appear inside a cue.

const TIMING = /^(\d+):([0-5]\d):([0-5]\d)[,.](\d{3})[ \t]*-->[ \t]*(\d+):([0-5]\d):([0-5]\d)[,.](\d{3})(?:[ \t].*)?$/
// Formatting that players render but that is not part of the words.
const FORMATTING = /<\/?(?:i|b|u|s|font)(?:\s[^>]*)?>|\{\\[^}]*\}/gi

const isBlank = (line: string | undefined) => line === undefined || line.trim() === ''
const ms = (h: string, m: string, s: string, f: string) => Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + Number(f)

const cueText = (lines: string[]) => cueLines(lines.join('\n').replace(FORMATTING, '')).join('\n').trim()

/**
 * Parses a SubRip file; throws TranscriptFormatError (`invalid_srt`) naming the line at fault.
 * Tolerates what real files contain: a missing cue number, `.` instead of `,`, position suffixes,
 * and a blank line inside a cue's text (the orphaned lines join the previous cue).
 */
export function parseSrt(input: string): ParsedSegment[] {
  const lines = splitLines(input)
  const n = lines.length
  const segments: ParsedSegment[] = []
  let i = 0
  while (i < n) {
    if (isBlank(lines[i])) {
      i++
      continue
    }
    const first = (lines[i] ?? '').trim()
    if (/^\d+$/.test(first)) {
      if (!(lines[i + 1] ?? '').includes('-->')) {
        throw new TranscriptFormatError('invalid_srt', `line ${i + 2}: expected a timing line (00:00:01,000 --> 00:00:02,000) after cue number ${first} on line ${i + 1}`)
      }
      i++
    } else if (!first.includes('-->')) {
      const previous = segments.at(-1)
      if (!previous) throw new TranscriptFormatError('invalid_srt', `line ${i + 1}: expected a cue number or a timing line (00:00:01,000 --> 00:00:02,000)`)
      const orphan: string[] = []
      for (; i < n && !isBlank(lines[i]); i++) orphan.push(lines[i] ?? '')
      previous.text = [previous.text, cueText(orphan)].filter((t) => t !== '').join('\n')
      continue
    }
    const line = i + 1
    const t = TIMING.exec((lines[i] ?? '').trim())
    if (!t) throw new TranscriptFormatError('invalid_srt', `line ${line}: malformed timing line (expected 00:00:01,000 --> 00:00:02,000)`)
    const [, h1 = '', m1 = '', s1 = '', f1 = '', h2 = '', m2 = '', s2 = '', f2 = ''] = t
    i++
    const text: string[] = []
    for (; i < n && !isBlank(lines[i]); i++) text.push(lines[i] ?? '')
    segments.push({ start_ms: ms(h1, m1, s1, f1), end_ms: ms(h2, m2, s2, f2), text: cueText(text), speaker_label: null, line })
  }
  return segments
}

/** A SubRip file: cues numbered from 1, `HH:MM:SS,mmm` timings, blank lines dropped from cue text. */
export function toSrt(segments: readonly CueSegment[]): string {
  return segments
    .map((s, i) => `${i + 1}\n${formatTimestamp(s.start_ms, ',')} --> ${formatTimestamp(s.end_ms, ',')}\n${cueLines(s.text).join('\n')}\n`)
    .join('\n')
}
