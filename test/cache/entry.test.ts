import { describe, expect, test } from 'bun:test'
import { decodeEntry, encodeEntry } from '../../src/cache/entry.ts'
import { ReadyResponse } from '../../src/http/ready-response.ts'

// What both tiers keep: gzip bytes only when gzip made the body smaller, and the same value back
// from L2's binary encoding.

const transcriptLike = ReadyResponse.json({
  segments: Array.from({ length: 100 }, (_, i) => ({ idx: i, start_ms: i * 2000, text: `segment ${i}: words that repeat and compress well` })),
})
const small = ReadyResponse.json({ id: 'x' })
const exported = ReadyResponse.text('1\n00:00:00,000 --> 00:00:01,800\nhello\n\n'.repeat(100), 'application/x-subrip; charset=utf-8', {
  'content-disposition': 'attachment; filename="a.whisper.srt"',
})

describe('ready responses keep one copy of their bytes', () => {
  test('a compressible body over 1 KiB keeps only its gzip bytes, and gives the identity body back on demand', () => {
    expect(transcriptLike.gzipped).toBe(true)
    expect([...transcriptLike.stored.subarray(0, 2)]).toEqual([0x1f, 0x8b]) // the gzip magic number
    expect(transcriptLike.stored.byteLength).toBeLessThan(transcriptLike.bodyLength / 4)
    expect(transcriptLike.size).toBeLessThan(transcriptLike.bodyLength / 3)
    const body = transcriptLike.body
    expect(body.byteLength).toBe(transcriptLike.bodyLength)
    // Decompressed once: the next identity hit gets the same bytes without another gunzip.
    expect(transcriptLike.body).toBe(body)
    expect(new Uint8Array(Bun.gunzipSync(transcriptLike.stored))).toEqual(new Uint8Array(body))
    expect(JSON.parse(new TextDecoder().decode(body)).segments).toHaveLength(100)
  })

  test('a small body is kept as it is, with no gzip', () => {
    expect(small.gzipped).toBe(false)
    expect(small.body).toBe(small.stored)
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
      const decoded = decodeEntry(encodeEntry({ value, freshUntil: 1_000, staleUntil: 2_000 }))
      expect(decoded).toBeDefined()
      const back = decoded!.value
      expect([decoded!.freshUntil, decoded!.staleUntil]).toEqual([1_000, 2_000])
      expect([back.status, back.contentType, back.etag, back.gzipped, back.bodyLength]).toEqual([value.status, value.contentType, value.etag, value.gzipped, value.bodyLength])
      expect(back.headers).toEqual(value.headers)
      expect(new Uint8Array(back.stored)).toEqual(new Uint8Array(value.stored))
    })
  }

  test('bytes that are not an entry (foreign, truncated, older format) are a miss, not an error', () => {
    const good = encodeEntry({ value: transcriptLike, freshUntil: 1, staleUntil: 2 })
    expect(decodeEntry(new TextEncoder().encode('hello'))).toBeUndefined()
    expect(decodeEntry(good.subarray(0, good.byteLength - 1))).toBeUndefined()
    const head = new TextEncoder().encode(JSON.stringify({ s: 200, t: 'application/json', e: 'W/"x"', h: {}, f: 1, x: 2, b: 2, g: 0 }))
    const old = new Uint8Array(4 + head.byteLength + 2)
    new DataView(old.buffer).setUint32(0, head.byteLength)
    old.set(head, 4)
    expect(decodeEntry(old)).toBeUndefined()
  })
})
