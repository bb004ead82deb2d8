import type { TSchema } from '@sinclair/typebox'
import type { OpenAPIV3 } from 'openapi-types'

// TypeBox schemas (model.ts) as OpenAPI 3.1 schema objects. A TypeBox schema is JSON Schema already;
// what differs is taken out on the way: validator-only options (src/http/validate.ts), the
// `nullable` flag Elysia adds beside its `anyOf […, null]` (OpenAPI 3.1 has no such keyword), and
// Elysia's coercing numbers (`string | integer` unions that accept "12") become the integer they
// decode to. Titled object schemas become components in the document (src/http/openapi-document.ts).

const VALIDATOR_ONLY = new Set(['nullable', 'errorCode', 'mustBe'])

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Elysia's t.Integer / t.Numeric: a union of a numeric string and the number itself. */
function coercedNumber(v: Record<string, unknown>): Record<string, unknown> | undefined {
  const members = v.anyOf
  if (!Array.isArray(members) || members.length !== 2) return undefined
  const [text, number] = members
  if (!isRecord(text) || !isRecord(number) || text.type !== 'string' || (text.format !== 'integer' && text.format !== 'numeric')) return undefined
  const { anyOf: _members, ...outer } = v
  return { ...number, ...outer }
}

function replacer(key: string, value: unknown): unknown {
  if (VALIDATOR_ONLY.has(key)) return undefined
  return isRecord(value) ? (coercedNumber(value) ?? value) : value
}

/**
 * The schema as an OpenAPI schema object. The JSON round trip drops TypeBox's symbol keys; what it
 * yields is, by construction, a plain JSON schema.
 */
export function openApiSchema(schema: TSchema): OpenAPIV3.SchemaObject {
  return JSON.parse(JSON.stringify(schema, replacer))
}
