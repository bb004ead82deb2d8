import { badRequest, HttpError } from './errors.ts'

// Write routes read their bodies themselves: credentials are checked before a byte is read, the size limit holds however the body arrives (Content-Length or chunked), and a
// non-UTF-8 body is a 400 rather than replacement characters stored forever.

export const payloadTooLarge = (maxBytes: number) =>
  new HttpError(413, 'payload_too_large', `the request body is larger than ${maxBytes} bytes`)

export const unsupportedMediaType = (message: string) => new HttpError(415, 'unsupported_media_type', message)

/**
 * The body's bytes, at most `maxBytes`: a larger declared Content-Length is refused before
 * reading, and a body that turns out larger (chunked, or a lying header) is cut off at the limit.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) throw payloadTooLarge(maxBytes)
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      throw payloadTooLarge(maxBytes)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes)
  } catch {
    throw badRequest('invalid_encoding', 'the request body is not valid UTF-8')
  }
}

/** The media type of a Content-Type header, lower-cased; a charset other than UTF-8 is a 415. */
export function mediaType(contentType: string | null): string {
  const [type = '', ...params] = (contentType ?? '').split(';')
  for (const p of params) {
    const [k, v] = p.split('=').map((s) => s.trim().toLowerCase().replace(/^"|"$/g, ''))
    if (k === 'charset' && v !== 'utf-8' && v !== 'utf8') throw unsupportedMediaType(`charset ${v} is not supported: send UTF-8`)
  }
  return type.trim().toLowerCase()
}

/**
 * 400 `invalid_unicode` when a string or key of a parsed JSON body holds a lone UTF-16 surrogate
 * (`"\ud800"`): JSON's syntax allows the escape, but it is no Unicode character, UTF-8 cannot
 * carry it and PostgreSQL refuses it in json and text. Walks without recursion: bodies may nest deep.
 */
export function rejectLoneSurrogates(value: unknown): void {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const v = pending.pop()
    if (typeof v === 'string') {
      if (!v.isWellFormed()) throw loneSurrogate()
    } else if (Array.isArray(v)) {
      for (const item of v) pending.push(item)
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, item] of Object.entries(v)) {
        if (!key.isWellFormed()) throw loneSurrogate()
        pending.push(item)
      }
    }
  }
}

const loneSurrogate = () =>
  badRequest('invalid_unicode', 'the request body holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair): send well-formed Unicode text')
