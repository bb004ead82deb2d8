import { badRequest, HttpError } from '../../http/errors.ts'
import { parseJsonTranscript } from './formats/json.ts'
import { TranscriptFormatError, type ParsedSegment } from './formats/segment.ts'
import { parseSrt } from './formats/srt.ts'
import { validateSegments } from './formats/validate.ts'
import { parseVttDocument } from './formats/vtt.ts'
import { rejectLoneSurrogates, unsupportedMediaType } from '../../http/request-body.ts'
import { textCheck } from '../../http/text.ts'
import type { TranscriptInput } from './queries.ts'

// Turns a PUT body (JSON, WebVTT or SubRip) into a validated transcript, or the HTTP error that
// tells the client what to fix.

export const MAX_INGEST_BYTES = 5 * 1024 * 1024

export const INGEST_MEDIA_TYPES = {
  'application/json': 'json',
  'text/vtt': 'vtt',
  'application/x-subrip': 'srt',
  // Names some tools send for SubRip.
  'application/srt': 'srt',
  'text/srt': 'srt',
} as const

type IngestFormat = (typeof INGEST_MEDIA_TYPES)[keyof typeof INGEST_MEDIA_TYPES]

const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/
const MAX_LANGUAGE_CHARS = 35
const MAX_MODEL_CHARS = 100
const isModelName = textCheck({ maxLength: MAX_MODEL_CHARS, nonBlank: true })

export function ingestFormat(media: string): IngestFormat {
  const format = (INGEST_MEDIA_TYPES as Record<string, IngestFormat>)[media]
  if (!format) {
    throw unsupportedMediaType(`Content-Type ${media || '(none)'} is not accepted: send application/json, text/vtt or application/x-subrip`)
  }
  return format
}

export const isLanguageTag = (v: string) => v.length <= MAX_LANGUAGE_CHARS && LANGUAGE_TAG.test(v)

function checkLanguage(value: string | null): string | null {
  if (value === null) return null
  if (!isLanguageTag(value)) throw badRequest('invalid_language', 'language must be a BCP 47 tag such as "en" or "pt-BR"')
  return value
}

function checkModel(value: string | null): string | null {
  if (value === null) return null
  if (!isModelName(value)) {
    throw badRequest('invalid_model', `model must be 1 to ${MAX_MODEL_CHARS} characters without control characters`)
  }
  return value.trim()
}

function toHttpError(err: unknown): unknown {
  if (!(err instanceof TranscriptFormatError)) return err
  if (err.code === 'too_many_segments') return new HttpError(413, 'payload_too_large', err.message)
  return badRequest(err.code, err.message)
}

/**
 * Parses and validates a body. `language` and `model` from the query string apply to every format;
 * the JSON body's own fields win over them, and a VTT `Language:` header is the last resort.
 */
export function parseIngest(format: IngestFormat, body: string, query: { language?: string; model?: string }): TranscriptInput {
  try {
    let segments: ParsedSegment[]
    let language = query.language || null
    let model = query.model || null
    if (format === 'json') {
      const doc = parseJsonTranscript(body)
      rejectLoneSurrogates(doc)
      segments = doc.segments
      language = doc.language ?? language
      model = doc.model ?? model
    } else if (format === 'vtt') {
      const doc = parseVttDocument(body)
      segments = doc.segments
      if (language === null && doc.language !== null && isLanguageTag(doc.language)) language = doc.language
    } else {
      segments = parseSrt(body)
    }
    return { language: checkLanguage(language), model: checkModel(model), segments: validateSegments(segments) }
  } catch (err) {
    throw toHttpError(err)
  }
}
