import { TranscriptFormatError, type ParsedSegment } from './segment.ts'

// The JSON ingest body: { language?, model?, segments: [{ start_ms, end_ms, text, speaker_label?, confidence? }] }.
// Unknown fields are errors rather than silently dropped, so a misspelt field never loses data.

export interface JsonTranscript {
  language: string | null
  model: string | null
  segments: ParsedSegment[]
}

const TOP_FIELDS = new Set(['language', 'model', 'segments'])
const SEGMENT_FIELDS = new Set(['start_ms', 'end_ms', 'text', 'speaker_label', 'confidence'])

const fail = (message: string) => new TranscriptFormatError('invalid_json', message)
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function optionalString(value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw fail(`${where} must be a string or null`)
  return value
}

function segmentAt(raw: unknown, i: number): ParsedSegment {
  const where = `segments[${i}]`
  if (!isObject(raw)) throw fail(`${where} must be an object`)
  for (const key of Object.keys(raw)) {
    if (!SEGMENT_FIELDS.has(key)) throw fail(`${where}: unknown field "${key}" (allowed: ${[...SEGMENT_FIELDS].join(', ')})`)
  }
  const { start_ms, end_ms, text, confidence } = raw
  if (typeof start_ms !== 'number') throw fail(`${where}.start_ms must be a number of milliseconds`)
  if (typeof end_ms !== 'number') throw fail(`${where}.end_ms must be a number of milliseconds`)
  if (typeof text !== 'string') throw fail(`${where}.text must be a string`)
  if (confidence !== undefined && confidence !== null && typeof confidence !== 'number') throw fail(`${where}.confidence must be a number or null`)
  return { start_ms, end_ms, text, speaker_label: optionalString(raw.speaker_label, `${where}.speaker_label`), confidence: confidence ?? null }
}

/** Parses and shape-checks a JSON transcript; value rules (order, ranges) are validateSegments' job. */
export function parseJsonTranscript(input: string): JsonTranscript {
  let body: unknown
  try {
    body = JSON.parse(input)
  } catch (err) {
    throw fail(`the body is not valid JSON: ${(err as Error).message}`)
  }
  if (!isObject(body)) throw fail('the body must be a JSON object with a "segments" array')
  for (const key of Object.keys(body)) {
    if (!TOP_FIELDS.has(key)) throw fail(`unknown field "${key}" (allowed: ${[...TOP_FIELDS].join(', ')})`)
  }
  if (!Array.isArray(body.segments)) throw fail('"segments" must be an array')
  return {
    language: optionalString(body.language, 'language'),
    model: optionalString(body.model, 'model'),
    segments: body.segments.map(segmentAt),
  }
}
