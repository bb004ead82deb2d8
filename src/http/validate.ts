import type { Static, TObject, TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Value } from '@sinclair/typebox/value'
import { badRequest, HttpError } from './errors.ts'

// Requests checked against the model.ts schemas, field by field, so every mistake gets a code that
// names its field (`invalid_title`, `invalid_limit`) and a message saying what the field takes.
// Elysia's own validator is not used for bodies: it would drop a misspelt field silently, and
// bodies are read after the credentials are checked (src/http/json-body.ts).
//
// Schema options read here (and left out of the OpenAPI document): `errorCode` replaces
// `invalid_<field>` (e.g. `invalid_batch` for a batch's `events`, `empty_patch` for an object's
// minProperties), `mustBe` replaces the generated description of what a field takes.

interface Described {
  [key: string]: unknown
  type?: unknown
  enum?: unknown[]
  format?: unknown
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  pattern?: string
  anyOf?: TSchema[]
  items?: TSchema
  mustBe?: string
  errorCode?: string
}

const described = (schema: TSchema): Described => schema

/** What a value of `schema` is, in words: `an integer from 1 to 100`, `one of single, channel`. */
export function mustBe(schema: TSchema): string {
  const s = described(schema)
  if (typeof s.mustBe === 'string') return s.mustBe
  if (s.anyOf) {
    const others = s.anyOf.filter((a) => described(a).type !== 'null')
    const nullable = others.length < s.anyOf.length
    return `${others.map(mustBe).join(' or ')}${nullable ? ', or null' : ''}`
  }
  if (s.enum) return `one of ${s.enum.join(', ')}`
  switch (s.type) {
    case 'integer':
      return `an integer${s.minimum !== undefined && s.maximum !== undefined ? ` from ${s.minimum} to ${s.maximum}` : s.minimum !== undefined ? ` of at least ${s.minimum}` : ''}`
    case 'number':
      return `a number${s.minimum !== undefined && s.maximum !== undefined ? ` from ${s.minimum} to ${s.maximum}` : ''}`
    case 'boolean':
      return 'true or false'
    case 'string': {
      if (s.format === 'uuid') return 'a UUID'
      const length = s.maxLength === undefined ? '' : ` of ${s.minLength ?? 0} to ${s.maxLength} characters`
      return `a string${length}${s.pattern?.includes('\\u0000') ? ' without control characters' : ''}`
    }
    case 'array':
      return `an array of ${s.minItems ?? 0} to ${s.maxItems ?? 'any number of'} ${s.items ? `items, each ${mustBe(s.items)}` : 'items'}`
    case 'object':
      return 'a JSON object'
    default:
      return 'a JSON value'
  }
}

const fieldCode = (name: string, schema: TSchema) => described(schema).errorCode ?? `invalid_${name}`

/**
 * `value` checked against an object schema: unknown fields (when the schema forbids them), then
 * missing ones, then each field in order. `where` prefixes messages (`events[3]`).
 */
export function validateObject<S extends TObject>(schema: S, value: Record<string, unknown>, where = ''): Static<S> {
  const prefix = where ? `${where}.` : ''
  const names = Object.keys(schema.properties)
  if (schema.additionalProperties === false) {
    const unknown = Object.keys(value).filter((k) => !Object.hasOwn(schema.properties, k))
    if (unknown.length > 0) {
      const list = unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')
      throw badRequest('unknown_field', `${where ? `${where}: ` : ''}unknown field${unknown.length > 1 ? 's' : ''} ${list}; the fields are ${names.join(', ')}`)
    }
  }
  const missing = (schema.required ?? []).filter((k) => !Object.hasOwn(value, k))
  if (missing.length > 0) throw badRequest('missing_field', `${where ? `${where}: ` : ''}missing field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`)
  for (const name of names) {
    const field = schema.properties[name]
    if (!field || !Object.hasOwn(value, name)) continue
    if (!Value.Check(field, value[name])) throw badRequest(fieldCode(name, field), `${prefix}${name} must be ${mustBe(field)}`)
  }
  const min = schema.minProperties
  if (typeof min === 'number' && Object.keys(value).length < min) {
    throw badRequest(described(schema).errorCode ?? 'invalid_body', `${where || 'the body'} must set at least ${min} of ${names.join(', ')}`)
  }
  // Every field passed; this also narrows the type.
  if (!Value.Check(schema, value)) throw badRequest('invalid_body', `${where || 'the body'} must be ${mustBe(schema)}`)
  return value
}

type QueryValue = string | string[] | undefined

/**
 * A parser of query strings for an object schema of scalar parameters: each parameter given once;
 * an empty one counts as absent; integers are digits only (no `1e2`, no `1.5`) within range;
 * strings obey their enum, length, pattern and format. UUIDs come out lower-cased. Parameters the
 * schema does not name are ignored, as HTTP caches and proxies add their own.
 */
export function queryParser<S extends TObject>(schema: S): (raw: Record<string, QueryValue>) => Static<S> {
  // Compiled once: the router runs this on every uncached list and search request.
  const whole = TypeCompiler.Compile(schema)
  const fields = Object.entries(schema.properties).map(([name, field]) => {
    const s = described(field)
    return { name, field, check: TypeCompiler.Compile(field), integer: s.type === 'integer', uuid: s.format === 'uuid' }
  })
  return (raw) => {
    const out: Record<string, unknown> = {}
    for (const { name, field, check, integer, uuid } of fields) {
      const v = raw[name]
      if (v === undefined || v === '') continue
      const invalid = () => badRequest(fieldCode(name, field), `${name} must be ${mustBe(field)}${Array.isArray(v) ? ', given once' : ''}`)
      if (typeof v !== 'string') throw invalid()
      const value = integer ? (/^\d{1,16}$/.test(v) ? Number(v) : undefined) : uuid ? v.toLowerCase() : v
      if (value === undefined || !check.Check(value)) throw invalid()
      out[name] = value
    }
    if (!whole.Check(out)) throw badRequest('invalid_query', `the query must be ${mustBe(schema)}`)
    return out
  }
}

/** Elysia's own validation failures (a path parameter, say) with the same per-field codes. */
export function validationFailure(errors: { path: string; summary?: string; message: string }[]): HttpError {
  const first = errors[0]
  const field = first?.path.replace(/^\//, '').split('/')[0] ?? ''
  const code = /^[a-z][a-z0-9_]*$/.test(field) ? `invalid_${field}` : 'invalid_request'
  return badRequest(code, first ? `${field || 'request'}: ${first.summary ?? first.message}` : 'the request is invalid')
}
