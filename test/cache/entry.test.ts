import { describe, expect, test } from 'bun:test'
import { jsonCodec } from '../../src/cache/json-codec.ts'
import { decodeEntry, encodeEntry, type CacheEntry } from '../../src/cache/entry.ts'
import { readyResponseCodec } from '../../src/http/ready-codec.ts'
import { IdentityBodies } from '../../src/http/identity-bodies.ts'
import { ReadyResponse } from '../../src/http/ready-response.ts'

// What both tiers keep: gzip bytes only when gzip made the body smaller, and the same value back
// from L2's binary encoding, whichever codec wrote it.

const transcriptLike = ReadyResponse.json({
  segments: Array.from({ length: 100 }, (_, i) => ({ idx: i, start_ms: i * 2000, text: `segment ${i}: words that repeat and compress well` })),
})
const small = ReadyResponse.json({ id: 'x' })
const exported = ReadyResponse.text('1\n00:00:00,000 --> 00:00:01,800\nhello\n\n'.repeat(100), 'application/x-subrip; charset=utf-8', {
  'content-disposition': 'attachment; filename="a.whisper.srt"',
})
const entry = <V>(value: V): CacheEntry<V> => ({ value, freshUntil: 1_000, staleUntil: 2_000, builtAt: 500, positive: true })

describe('ready responses keep one copy of their bytes', () => {
  test('a compressible body over 1 KiB keeps only its gzip bytes, and gives the identity body back on demand', () => {
    expect(transcriptLike.gzipped).toBe(true)
    expect([...transcriptLike.stored.subarray(0, 2)]).toEqual([0x1f, 0x8b]) // the gzip magic number
    expect(transcriptLike.stored.byteLength).toBeLessThan(transcriptLike.bodyLength / 4)
    expect(transcriptLike.size).toBeLessThan(transcriptLike.bodyLength / 3)
    const bodies = new IdentityBodies()
    const body = bodies.of(transcriptLike)
    expect(body.byteLength).toBe(transcriptLike.bodyLength)
    // Decompressed once: the next identity hit gets the same bytes without another gunzip.
    expect(bodies.of(transcriptLike)).toBe(body)
    expect(new Uint8Array(Bun.gunzipSync(transcriptLike.stored))).toEqual(new Uint8Array(body))
    expect(JSON.parse(new TextDecoder().decode(body)).segments).toHaveLength(100)
  })

  test('a small body is kept as it is, with no gzip', () => {
    expect(small.gzipped).toBe(false)
    expect(new IdentityBodies().of(small)).toBe(small.stored)
    expect(small.bodyLength).toBe(small.stored.byteLength)
  })
})

describe('L2 encoding', () => {
  for (const [name, value] of [
    ['gzipped JSON', transcriptLike],
    ['small JSON', small],
    ['an export with its own headers', exported],
    ['a cached 404', ReadyResponse.json({ error: { code: 'video_not_found', message: 'no video' } }, 404)],
  ] as const) {
    test(`${name} round-trips unchanged`, () => {
      const decoded = decodeEntry(encodeEntry(entry(value), readyResponseCodec), readyResponseCodec)
      expect(decoded).toBeDefined()
      const back = decoded!.value
      expect([decoded!.freshUntil, decoded!.staleUntil, decoded!.builtAt, decoded!.positive]).toEqual([1_000, 2_000, 500, true])
      expect([back.status, back.contentType, back.etag, back.gzipped, back.bodyLength]).toEqual([value.status, value.contentType, value.etag, value.gzipped, value.bodyLength])
      expect(back.headers).toEqual(value.headers)
      expect(new Uint8Array(back.stored)).toEqual(new Uint8Array(value.stored))
    })
  }

  test('a JSON record round-trips, and its "not found" is kept as negative', () => {
    const codec = jsonCodec<{ id: string; n: number }>('record')
    expect(decodeEntry(encodeEntry(entry({ id: 'a', n: 1 }), codec), codec)?.value).toEqual({ id: 'a', n: 1 })
    expect(decodeEntry(encodeEntry(entry(null), codec), codec)?.value).toBeNull()
    expect([codec.keep({ id: 'a', n: 1 }), codec.keep(null)]).toEqual(['positive', 'negative'])
  })

  test('bytes that are not an entry of this codec (foreign, truncated, another codec, older format) are a miss, not an error', () => {
    const good = encodeEntry(entry(transcriptLike), readyResponseCodec)
    expect(decodeEntry(new TextEncoder().encode('hello'), readyResponseCodec)).toBeUndefined()
    expect(decodeEntry(good.subarray(0, good.byteLength - 1), readyResponseCodec)).toBeUndefined()
    const record = jsonCodec<{ id: string }>('record')
    expect(decodeEntry(good, record)).toBeUndefined()
    expect(decodeEntry(encodeEntry(entry({ id: 'a' }), record), readyResponseCodec)).toBeUndefined()
    const head = new TextEncoder().encode(JSON.stringify({ s: 200, t: 'application/json', e: 'W/"x"', h: {}, f: 1, x: 2, b: 2, z: false, n: 2 }))
    const old = new Uint8Array(4 + head.byteLength + 2)
    new DataView(old.buffer).setUint32(0, head.byteLength)
    old.set(head, 4)
    expect(decodeEntry(old, readyResponseCodec)).toBeUndefined()
  })
})
