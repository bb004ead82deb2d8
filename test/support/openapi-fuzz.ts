import fc from 'fast-check'

// Requests generated from an OpenAPI document: for one operation, its path, query, header and body
// values, each valid (from the schema and its examples), at a boundary, or hostile. A request is
// plain data, so a failing one prints as a curl command that reproduces it.

export interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  examples?: unknown[]
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
}

export interface Operation {
  method: string
  /** The template, e.g. `/videos/{id}`. */
  path: string
  parameters: { in: string; name: string; required?: boolean; schema?: JsonSchema }[]
  /** Media type → schema of the documented request body. */
  body: Record<string, JsonSchema | undefined> | undefined
  /** Status → the error codes the document enumerates for it. */
  errorCodes: Map<number, string[]>
}

interface DocumentedResponse {
  content?: Record<string, { schema?: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }>
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { parameters?: Operation['parameters']; requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; responses?: Record<string, DocumentedResponse> }>
  >
}

/** The codes the document enumerates per error status of one operation. */
function errorCodesOf(responses: Record<string, DocumentedResponse> | undefined): Map<number, string[]> {
  return new Map(
    Object.entries(responses ?? {})
      .filter(([status]) => Number(status) >= 400)
      .map(([status, r]) => [Number(status), r.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum ?? []]),
  )
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content && Object.fromEntries(Object.entries(op.requestBody.content).map(([type, c]) => [type, c.schema])),
      errorCodes: errorCodesOf(op.responses),
    })),
  )
}

/** A value sent in a URL: text (percent-encoded as UTF-8, lone surrogates as the bytes a hostile client would send) or raw bytes as written. */
export type UrlValue = string | { raw: string }

export interface FuzzRequest {
  method: string
  /** The Host the request was sent to (Bun builds request.url from it). */
  host: string
  path: string
  query: [string, UrlValue][]
  headers: [string, string][]
  /** Text is sent as UTF-8; bytes as they are (invalid UTF-8 included). */
  body: string | Uint8Array | undefined
}

/** Percent-encodes like encodeURIComponent, but a lone surrogate becomes its (invalid) 3-byte form instead of a URIError. */
export function encodeUrlValue(v: UrlValue): string {
  if (typeof v !== 'string') return v.raw
  let out = ''
  for (const ch of v) {
    const code = ch.codePointAt(0) ?? 0
    out += code >= 0xd800 && code <= 0xdfff ? `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase() : encodeURIComponent(ch)
  }
  return out
}

export function urlOf(r: FuzzRequest): string {
  const query = r.query.map(([k, v]) => `${encodeUrlValue(k)}=${encodeUrlValue(v)}`).join('&')
  return `${r.path}${query ? `?${query}` : ''}`
}

/** The request as a shell command against BASE (e.g. http://127.0.0.1:8000). */
export function curlOf(r: FuzzRequest): string {
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
  const parts = ['curl', '-sS', '-i', '-X', r.method, q(`$BASE${urlOf(r)}`).replace("'$BASE", `"$BASE"'`), '-H', q(`Host: ${r.host}`)]
  for (const [k, v] of r.headers) parts.push('-H', q(`${k}: ${v}`))
  if (typeof r.body === 'string') parts.push('--data-binary', q(r.body))
  else if (r.body) parts.push('--data-binary', `@<(printf '${[...r.body].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}')`)
  return parts.join(' ')
}

// Hostile values, whatever the parameter, by kind (each kind as likely as the others): empty and
// blank, control characters and NUL, lone surrogates, other scripts, odd numbers, dates out of range
// or not on the calendar, injection and path tricks, long values.
const HOSTILE_KINDS: readonly (readonly string[])[] = [
  ['', ' ', '\t\r\n', '\u00a0'],
  ['\u0000', 'a\u0000b', '\u0007', '\u007f', '\u001b[31m'],
  ['\ud800', 'x\udfffy', '\udc00\ud800', '\ud83d'],
  ['😀', '\u202eevil', 'e\u0301', 'ﬀ', 'Ⅻ', 'İ', 'ß', '\ufeff', '\uffff'],
  ['null', 'true', '[]', '{}', '-1', '0', '-0', '1.5', '1e2', '1e309', '1e-99', 'NaN', 'Infinity', '0x10', '9'.repeat(40), '9223372036854775808', String(2 ** 53 + 1)],
  ['9999-12-31', '9999-12-31T23:59:59.999Z', '10000-01-01', '+275760-09-13T00:00:00Z', '0000-01-01', '0001-01-01', '2024-02-30', '2024-02-29T24:00:00Z', '1969-12-31T23:59:59-23:59'],
  ["' OR 1=1 --", '"; DROP TABLE videos; --', '../../etc/passwd', '<script>alert(1)</script>', '%s%s%n', '${7*7}', '\\', '*', '%'],
  ['a'.repeat(600), 'ü'.repeat(3000), '😀'.repeat(300), 'x '.repeat(400)],
  ['00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF', 'ta_', `ta_${'A'.repeat(43)}`],
]
/** Bytes no encoder makes: broken escapes, overlong and invalid UTF-8, an encoded NUL. */
const RAW_FRAGMENTS = ['%', '%zz', '%F', '%FF', '%C0%AF', '%ED%A0%80', '%00', '%E2%82', '+', '%2B', '%26', '%3D', '&', '=', '%25%25']

const hostileText = fc.oneof(...HOSTILE_KINDS.map((kind) => fc.constantFrom(...kind)))
const unicodeText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 20 }))

export const hostileUrlValue: fc.Arbitrary<UrlValue> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 2, arbitrary: unicodeText },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_FRAGMENTS).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.tuple(hostileText, fc.constantFrom(...RAW_FRAGMENTS)).map(([a, b]) => ({ raw: `${encodeUrlValue(a)}${b}` })) },
)

const DATE_BOUNDARIES = ['0001-01-01', '9999-12-31', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999999Z', '9999-12-31T23:00:00-05:00', '2024-02-29', '1970-01-01T00:00:00+14:00', '2024-01-01T00:00']
const UUID_BOUNDARIES = ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF', '{00000000-0000-0000-0000-000000000000}', '00000000000000000000000000000000']

/**
 * Values at the edges of what a string parameter takes, found from its schema: its examples say
 * what kind of value it is (a date, a uuid, a number), a description such as `1..100` its range.
 */
export function boundaryValues(schema: JsonSchema | undefined): string[] {
  const example = String(schema?.examples?.[0] ?? '')
  const range = /(\d+)\s*(?:\.\.|to)\s*(\d+)/.exec((schema as { description?: string } | undefined)?.description ?? '')
  const out: string[] = []
  if (range) {
    const [min, max] = [Number(range[1]), Number(range[2])]
    out.push(...[min - 1, min, max, max + 1].map(String), `${max}.0`, ` ${min}`, `0${min}`, `${max}e0`)
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(example)) out.push(...DATE_BOUNDARIES)
  if (/^[0-9a-f]{8}-/i.test(example) || schema?.format === 'uuid') out.push(...UUID_BOUNDARIES)
  return out
}

/** A value for a schema: what it asks for, its examples and boundaries. */
export function validValue(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema) return fc.jsonValue({ maxDepth: 2 })
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum?.length) return fc.constantFrom(...schema.enum)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => validValue(s, depth)))
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  const examples = schema.examples?.length ? [fc.constantFrom(...schema.examples)] : []
  switch (type) {
    case 'string': {
      const base = schema.pattern
        ? fc.stringMatching(new RegExp(schema.pattern))
        : schema.format === 'uuid'
          ? fc.uuid()
          : schema.format === 'date-time'
            ? fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
            : fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) })
      // The examples are the values most likely to get past the route's own checks.
      return schema.examples?.length ? fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...schema.examples) }, { weight: 1, arbitrary: base }) : base
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -1e6
      const max = schema.maximum ?? 1e6
      const n = type === 'integer' ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) : fc.double({ min, max, noNaN: true })
      return fc.oneof(...examples, n, fc.constantFrom(min, max))
    }
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(depth > 3 ? fc.constant(null) : validValue(schema.items, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      })
    case 'object': {
      if (!schema.properties || depth > 3) return fc.oneof(...examples, fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }))
      const props = Object.fromEntries(Object.entries(schema.properties).map(([k, s]) => [k, validValue(s, depth + 1)]))
      return fc.record(props, { requiredKeys: (schema.required ?? []).filter((k) => k in props) })
    }
    default:
      return fc.oneof(...examples, fc.jsonValue({ maxDepth: 2 }))
  }
}

/** A JSON value meant to break things: wrong types, huge numbers, unicode, NUL, lone surrogates. */
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  { weight: 1, arbitrary: unicodeText },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 2 ** 53 + 1, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE, [], {}, [null], { '': '' }, { __proto__: { admin: true } }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
)

/**
 * `value` with one part replaced by `replacement`, found by `steps` (an index into each level;
 * one past the end adds a key or element instead): a single bad field among good ones reaches
 * further than a body that is bad everywhere.
 */
export function mutateJson(value: unknown, steps: readonly number[], replacement: unknown, key: string): unknown {
  const [step, ...rest] = steps
  if (step === undefined) return replacement
  if (Array.isArray(value)) {
    const i = step % (value.length + 1)
    return i === value.length ? [...value, replacement] : value.map((v, j) => (j === i ? mutateJson(v, rest, replacement, key) : v))
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value)
    const i = step % (keys.length + 1)
    const k = keys[i]
    return k === undefined ? { ...value, [key]: replacement } : { ...value, [k]: mutateJson((value as Record<string, unknown>)[k], rest, replacement, key) }
  }
  return replacement
}

/** A schema's value with up to two parts made hostile. */
export function mutatedValue(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const mutation = fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), hostileJson, fc.oneof(hostileText, fc.string({ maxLength: 8 })))
  return fc
    .tuple(validValue(schema), fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 2 })))
    .map(([v, mutations]) => mutations.reduce((acc, [steps, replacement, key]) => mutateJson(acc, steps, replacement, key), v))
}

/** JSON text no serializer makes: broken, deep, huge numbers, lone surrogates, duplicate keys. */
const HOSTILE_BODIES = [
  '',
  ' ',
  '{',
  '{"a":',
  'nul',
  'null',
  '[]',
  '"x"',
  '1',
  '{}',
  '{"type":"click","type":"search"}',
  '{"a":1e400}',
  '{"a":-1e400,"b":1e-400}',
  '{"type":"click","payload":{"a":"\\ud800"}}',
  '{"events":[{"type":"click","payload":{"\\udfff":1}}]}',
  '{"a":"\\u0000"}',
  '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}',
  `{"type":"click","payload":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`,
  // As deep as fits an event's 4 KiB payload: PostgreSQL's json parser recurses.
  `{"type":"click","payload":{"a":${'['.repeat(2030)}${']'.repeat(2030)}}}`,
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  `{"events":[${'{"type":"click"},'.repeat(150)}{"type":"click"}]}`,
  '\ufeff{}',
  '{"a":"\u0000"}',
  'WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n',
  'WEBVTT\n\n99:59:59.999 --> 00:00.000\n\u0000\n',
  '1\n00:00:00,000 --> 00:00:01,000\nhello\n',
  '1\n00:00:00,000 --> 99999999:00:01,000\n\ud800\n',
]
/** Bodies that are not UTF-8 at all. */
const HOSTILE_BYTES = [new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), new Uint8Array([0xc0, 0xaf])]

/** A request body for `op`: JSON from its schema (good, or with a bad field), hostile text, or none. */
export function bodyFor(op: Operation): fc.Arbitrary<{ contentType: string | undefined; body: string | Uint8Array | undefined }> {
  const schema = op.body?.['application/json']
  const contentTypes = fc.oneof(
    { weight: 10, arbitrary: fc.constant('application/json') },
    { weight: 4, arbitrary: fc.constantFrom<string | undefined>(
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/merge-patch+json',
    'text/plain',
    'text/vtt',
    'application/x-subrip',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    undefined,
  ) },
  )
  const json = fc.oneof({ weight: 6, arbitrary: mutatedValue(schema).map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? 'null') })
  const body = fc.oneof(
    { weight: 8, arbitrary: json },
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_BODIES) },
    { weight: 2, arbitrary: unicodeText },
    { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_BYTES) },
  )
  const none = fc.constant({ contentType: undefined, body: undefined })
  const some = fc.record({ contentType: contentTypes, body })
  return op.body ? fc.oneof({ weight: 6, arbitrary: some }, { weight: 1, arbitrary: none }) : fc.oneof({ weight: 3, arbitrary: none }, { weight: 1, arbitrary: some })
}
