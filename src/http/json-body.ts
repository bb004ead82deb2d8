import type { Static, TObject } from '@sinclair/typebox'
import { badRequest } from './errors.ts'
import { decodeUtf8, mediaType, readBody, rejectLoneSurrogates, unsupportedMediaType } from './request-body.ts'
import { validateObject } from './validate.ts'

// The one reader of JSON request bodies. Handlers call it after checking the credentials (so an
// anonymous caller cannot make us buffer anything), with a byte limit. Its failures, in order:
// 415 `unsupported_media_type` (not application/json or +json, or a charset other than UTF-8),
// 413 `payload_too_large`, 400 `invalid_encoding` (not UTF-8), `invalid_json` (not parseable),
// `invalid_body` (empty, or not an object), `invalid_unicode` (a lone surrogate), then the
// schema's own per-field codes (src/http/validate.ts).

/** The failures every JSON body can meet before its fields are looked at, by status. */
export const JSON_BODY_ERRORS = {
  400: ['invalid_encoding', 'invalid_json', 'invalid_body', 'invalid_unicode'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
} as const

const isJson = (media: string) => media === 'application/json' || /^application\/[\w.+-]+\+json$/.test(media)

/** The body as a JSON object, not yet checked field by field. */
export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const media = mediaType(request.headers.get('content-type'))
  if (!isJson(media)) throw unsupportedMediaType(`Content-Type ${media || '(none)'} is not accepted: send application/json`)
  const text = decodeUtf8(await readBody(request, maxBytes))
  if (text.trim() === '') throw badRequest('invalid_body', 'the request body is empty; send a JSON object')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw badRequest('invalid_json', 'the request body is not valid JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('invalid_body', 'the request body must be a JSON object')
  rejectLoneSurrogates(body)
  return Object.fromEntries(Object.entries(body))
}

/** The body checked against its model.ts schema. */
export async function readJsonBody<S extends TObject>(request: Request, schema: S, maxBytes: number): Promise<Static<S>> {
  return validateObject(schema, await readJsonObject(request, maxBytes))
}
