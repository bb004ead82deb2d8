import { badRequest, HttpError } from './errors.ts'
import { decodeUtf8, mediaType, readBody, rejectLoneSurrogates } from './request-body.ts'

// Bodies of the account routes: read by the handler after the credentials are checked (so an
// anonymous caller cannot make us buffer anything), within a byte limit, and checked field by
// field (a route schema would silently drop a misspelt field).

export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const media = mediaType(request.headers.get('content-type'))
  if (media !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(media)) {
    throw new HttpError(415, 'unsupported_media_type', `Content-Type ${media || '(none)'} is not accepted: send application/json`)
  }
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
  return body as Record<string, unknown>
}

/** 400 `unknown_field` naming any field not in `allowed`; `where` prefixes the message (e.g. `events[3]`). */
export function rejectUnknownFields(body: Record<string, unknown>, allowed: readonly string[], where = ''): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k))
  if (unknown.length === 0) return
  const names = unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')
  throw badRequest('unknown_field', `${where ? `${where}: ` : ''}unknown field${unknown.length > 1 ? 's' : ''} ${names}; the fields are ${allowed.join(', ')}`)
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

/** An optional text field: absent/null → null; else a string of at most `max` characters without control characters. */
export function optionalText(body: Record<string, unknown>, field: string, max: number, where = ''): string | null {
  const v = body[field]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string' || v.length > max || CONTROL.test(v)) {
    throw badRequest('invalid_field', `${where ? `${where}.` : ''}${field} must be a string of at most ${max} characters without control characters, or null`)
  }
  return v
}
