import { badRequest } from '../../http/errors.ts'
import { rejectLoneSurrogates } from '../../http/request-body.ts'
import type { VideoPatch } from './queries.ts'

// The PATCH /videos/{id} body. Validated by hand rather than by a route schema because Elysia
// silently drops unknown properties, and a misspelt field must be an error, not a no-op 200.

/** Editable fields and their maximum lengths. */
export const PATCH_FIELDS = { title: 500, channel_name: 200, language: 35, category: 100 } as const
type Field = keyof typeof PATCH_FIELDS

export const MAX_PATCH_BYTES = 16 * 1024

const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/
const CONTROL = /[\u0000-\u001f\u007f]/

const isField = (k: string): k is Field => Object.hasOwn(PATCH_FIELDS, k)

function fieldValue(field: Field, raw: unknown): string | null {
  if (raw === null) return null
  const max = PATCH_FIELDS[field]
  const value = typeof raw === 'string' ? raw.trim() : undefined
  if (value === undefined || value === '' || value.length > max || CONTROL.test(value)) {
    throw badRequest('invalid_field', `${field} must be a string of 1 to ${max} characters without control characters, or null`)
  }
  if (field === 'language' && !LANGUAGE_TAG.test(value)) {
    throw badRequest('invalid_field', 'language must be a BCP 47 tag such as "en" or "pt-BR", or null')
  }
  return value
}

/** Parses the JSON text of a PATCH body into a non-empty patch; values are trimmed, null clears a field. */
export function parseVideoPatch(text: string): VideoPatch {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw badRequest('invalid_json', 'the body is not valid JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('invalid_json', 'the body must be a JSON object')
  rejectLoneSurrogates(body)
  const patch: VideoPatch = {}
  for (const [key, raw] of Object.entries(body)) {
    if (!isField(key)) throw badRequest('unknown_field', `unknown field "${key}": only ${Object.keys(PATCH_FIELDS).join(', ')} can be edited`)
    patch[key] = fieldValue(key, raw)
  }
  if (Object.keys(patch).length === 0) throw badRequest('empty_patch', `set at least one of ${Object.keys(PATCH_FIELDS).join(', ')}`)
  return patch
}
