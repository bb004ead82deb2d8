import { describe, expect, test } from 'bun:test'
import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { HttpError } from '../src/http/errors.ts'
import { readJsonBody } from '../src/http/json-body.ts'
import { Text, textCheck } from '../src/http/text.ts'
import { queryParser, validateObject } from '../src/http/validate.ts'

// The request checks every route shares: one JSON body reader, per-field codes from a schema, one
// text rule. Each failure is the HttpError a client sees.

function failure(fn: () => unknown): { status: number; code: string; message: string } {
  try {
    fn()
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message }
    throw err
  }
  throw new Error('no error')
}

async function asyncFailure(p: Promise<unknown>) {
  try {
    await p
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message }
    throw err
  }
  throw new Error('no error')
}

const Body = t.Object(
  {
    title: t.Optional(t.Nullable(Text({ maxLength: 5, nonBlank: true }))),
    count: Type.Integer({ minimum: 1, maximum: 3 }),
    tags: t.Optional(t.Array(t.UnionEnum(['a', 'b']), { minItems: 1, errorCode: 'invalid_tag_list' })),
  },
  { additionalProperties: false },
)

describe('validateObject: the fields of a body, each with its own code', () => {
  test('unknown, then missing, then each field: invalid_<field> or its errorCode', () => {
    expect(failure(() => validateObject(Body, { count: 1, titel: 'x' }))).toMatchObject({ status: 400, code: 'unknown_field' })
    expect(failure(() => validateObject(Body, {}))).toMatchObject({ code: 'missing_field', message: expect.stringContaining('count') })
    expect(failure(() => validateObject(Body, { count: 4 }))).toMatchObject({ code: 'invalid_count', message: 'count must be an integer from 1 to 3' })
    expect(failure(() => validateObject(Body, { count: '2' }))).toMatchObject({ code: 'invalid_count' })
    expect(failure(() => validateObject(Body, { count: 1.5 }))).toMatchObject({ code: 'invalid_count' })
    expect(failure(() => validateObject(Body, { count: 1, title: '   ' }))).toMatchObject({ code: 'invalid_title' })
    expect(failure(() => validateObject(Body, { count: 1, title: 'a\u0000' }))).toMatchObject({ code: 'invalid_title', message: expect.stringContaining('without control characters') })
    expect(failure(() => validateObject(Body, { count: 1, tags: [] }))).toMatchObject({ code: 'invalid_tag_list' })
    expect(failure(() => validateObject(Body, { count: 1, tags: ['c'] }, 'items[2]'))).toMatchObject({ message: expect.stringMatching(/^items\[2\]\.tags/) })
    expect(validateObject(Body, { count: 2, title: null, tags: ['a'] })).toEqual({ count: 2, title: null, tags: ['a'] })
  })
})

describe('queryParser: query strings by a schema', () => {
  const parse = queryParser(t.Object({ limit: t.Optional(Type.Integer({ minimum: 1, maximum: 100 })), id: t.Optional(t.String({ format: 'uuid' })), sort: t.Optional(t.UnionEnum(['new', 'old'])) }))
  test('integers are digits within range; empty is absent; uuids come out lower-cased; enums hold', () => {
    expect(parse({ limit: '20', id: 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA', other: 'ignored' })).toEqual({ limit: 20, id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' })
    expect(parse({ limit: '', sort: '' })).toEqual({})
    for (const limit of ['0', '101', '-1', '1.5', '1e2', ' 5', '0x10', '9'.repeat(40)]) expect(failure(() => parse({ limit }))).toMatchObject({ status: 400, code: 'invalid_limit' })
    expect(failure(() => parse({ id: 'nope' }))).toMatchObject({ code: 'invalid_id', message: 'id must be a UUID' })
    expect(failure(() => parse({ sort: 'mid' }))).toMatchObject({ code: 'invalid_sort', message: 'sort must be one of new, old' })
  })
})

describe('readJsonBody: the one JSON body reader', () => {
  const request = (body: string | Uint8Array, type?: string) => new Request('http://localhost/x', { method: 'POST', body, headers: type ? { 'content-type': type } : {} })
  const Small = t.Object({ a: t.String() }, { additionalProperties: false })
  test('415 unless JSON, 413 past the limit, then invalid_encoding, invalid_json, invalid_body, invalid_unicode', async () => {
    expect(await asyncFailure(readJsonBody(request('{"a":"x"}'), Small, 100))).toMatchObject({ status: 415, code: 'unsupported_media_type' })
    expect(await asyncFailure(readJsonBody(request('{"a":"x"}', 'text/plain'), Small, 100))).toMatchObject({ status: 415 })
    expect(await asyncFailure(readJsonBody(request('{"a":"x"}', 'application/json; charset=latin1'), Small, 100))).toMatchObject({ status: 415 })
    expect(await asyncFailure(readJsonBody(request(`{"a":"${'x'.repeat(200)}"}`, 'application/json'), Small, 100))).toMatchObject({ status: 413, code: 'payload_too_large' })
    expect(await asyncFailure(readJsonBody(request(new Uint8Array([0xff, 0x7b]), 'application/json'), Small, 100))).toMatchObject({ code: 'invalid_encoding' })
    expect(await asyncFailure(readJsonBody(request('{"a":', 'application/json'), Small, 100))).toMatchObject({ code: 'invalid_json' })
    for (const body of ['', '[1]', 'null', '"s"']) expect(await asyncFailure(readJsonBody(request(body, 'application/json'), Small, 100))).toMatchObject({ code: 'invalid_body' })
    expect(await asyncFailure(readJsonBody(request('{"a":"\\ud800"}', 'application/json'), Small, 100))).toMatchObject({ code: 'invalid_unicode' })
    expect(await readJsonBody(request('{"a":"x"}', 'application/merge-patch+json'), Small, 100)).toEqual({ a: 'x' })
  })
})

describe('the text rule', () => {
  test('single-line text holds no C0 control at all; multi-line text may hold tab and line breaks', () => {
    const line = textCheck({ maxLength: 10 })
    const note = textCheck({ maxLength: 10, multiLine: true })
    expect([line('ok'), line('a\tb'), line('a\nb'), line('a\u007f'), line('x'.repeat(11))]).toEqual([true, false, false, false, false])
    expect([note('a\tb\r\nc'), note('a\u0000'), note('a\u001b[31m')]).toEqual([true, false, false])
  })
})
