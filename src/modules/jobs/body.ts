import { HttpError, badRequest } from '../../http/errors.ts'
import { readBody, rejectLoneSurrogates } from '../../http/request-body.ts'

// A JSON body read with a hard byte limit, so an oversized request is a 413 before it is buffered
// whole or parsed (Bun's server-wide limit is 128 MiB; a job request is a few hundred bytes).
//
// Elysia wraps anything thrown by a parse hook into a generic PARSE error (400 "could not be
// parsed"), which would turn our 413/415 into 400s. So the parse hook returns a BodyRejection
// instead of throwing, and `rejectBody` (a transform hook, which runs before validation) throws it.

export class BodyRejection {
  constructor(readonly error: HttpError) {}
}

/** The body as JSON, or a rejection: 415 for another content type, 413 past `maxBytes`, 400 for bad JSON. */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const type = request.headers.get('content-type')
  if (type !== null && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    return new BodyRejection(new HttpError(415, 'unsupported_media_type', 'the request body must be application/json'))
  }
  let bytes: Uint8Array
  try {
    bytes = await readBody(request, maxBytes)
  } catch (err) {
    if (err instanceof HttpError) return new BodyRejection(err)
    throw err
  }
  const text = new TextDecoder().decode(bytes)
  if (text.trim() === '') return new BodyRejection(badRequest('invalid_body', 'the request body is empty; send a JSON object'))
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return new BodyRejection(badRequest('invalid_body', 'the request body is not valid JSON'))
  }
  try {
    rejectLoneSurrogates(body)
  } catch (err) {
    if (err instanceof HttpError) return new BodyRejection(err)
    throw err
  }
  return body
}

/**
 * Throws the parse hook's rejection and checks the fields: the body must be an object with every
 * `required` field and no other (Elysia's validator would silently drop unknown ones, and a typo
 * such as `kindd` must not pass unnoticed). Field values are the route's to check.
 */
export function checkBodyFields(body: unknown, required: readonly string[]): asserts body is Record<string, unknown> {
  if (body instanceof BodyRejection) throw body.error
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('invalid_body', 'the request body must be a JSON object')
  const unknown = Object.keys(body).filter((k) => !required.includes(k))
  if (unknown.length > 0) {
    const names = unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')
    throw badRequest('unknown_field', `unknown field${unknown.length > 1 ? 's' : ''} ${names}; the fields are ${required.join(', ')}`)
  }
  const missing = required.filter((k) => !(k in body))
  if (missing.length > 0) throw badRequest('missing_field', `missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`)
}
