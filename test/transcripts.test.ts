import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { readTranscriptQuery } from '../src/modules/transcripts/queries.ts'
import { testApp } from './support/app.ts'
import { indexesOf, planNodes } from './support/explain.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import fixture from './golden/transcript.json'

// GET/PUT /videos/{id}/transcript and the .srt/.vtt exports against the real PostgreSQL.

const TOKEN = 'transcripts-admin-token-0123456789abcdef'
const goldenSrt = await Bun.file(`${import.meta.dir}/golden/transcript.srt`).text()
const goldenVtt = await Bun.file(`${import.meta.dir}/golden/transcript.vtt`).text()

let db: TestDatabase
let api: ReturnType<typeof testApp>
beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  api = testApp(db.sql, { env: { ADMIN_TOKEN: TOKEN } })
}, 30_000)
afterAll(async () => {
  await db.drop()
})

interface ErrorJson {
  error: { code: string; message: string }
}
interface SegmentJson {
  idx: number
  start_ms: number
  end_ms: number
  text: string
  speaker_label: string | null
}
interface TranscriptJson {
  video_id: string
  youtube_id: string
  transcript_id: string
  source: string
  language: string | null
  model: string | null
  created_at: string
  segments: SegmentJson[]
}
interface SummaryJson {
  id: string
  video_id: string
  source: string
  language: string | null
  model: string | null
  segment_count: number
  created_at: string
  replaced: boolean
}

let counter = 0
async function newVideo(youtubeId = `yt${String(++counter).padStart(9, '0')}`): Promise<string> {
  const [row] = await db.sql<{ id: string }[]>`INSERT INTO videos (youtube_id, title) VALUES (${youtubeId}, 'a video') RETURNING id`
  if (!row) throw new Error('no row')
  return row.id
}

function put(videoId: string, source: string, body: RequestInit['body'], contentType: string, headers: Record<string, string> = {}) {
  return api.request(`/videos/${videoId}/transcript?source=${source}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType, ...headers },
    body,
  })
}
const putJson = (videoId: string, source: string, body: unknown) => put(videoId, source, JSON.stringify(body), 'application/json')
/** Exports need a signed-in caller (accounts); the bootstrap admin is exempt from the export quota. */
const asAdmin = { headers: { authorization: `Bearer ${TOKEN}` } }

async function expectError(res: Response, status: number, code: string): Promise<string> {
  const body = (await res.json()) as ErrorJson
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code })
  return body.error.message
}

async function readTranscript(videoId: string, query = ''): Promise<TranscriptJson> {
  const res = await api.request(`/videos/${videoId}/transcript${query}`)
  expect(res.status).toBe(200)
  return (await res.json()) as TranscriptJson
}

const segs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ start_ms: i * 1000, end_ms: i * 1000 + 900, text: `${prefix} ${i}` }))

describe('GET /videos/{id}/transcript', () => {
  test('400 invalid_id, 404 video_not_found, 404 transcript_not_ready, 400 invalid_source', async () => {
    await expectError(await api.request('/videos/not-a-uuid/transcript'), 400, 'invalid_id')
    await expectError(await api.request(`/videos/${randomUUID()}/transcript`), 404, 'video_not_found')
    const id = await newVideo()
    await expectError(await api.request(`/videos/${id}/transcript`), 404, 'transcript_not_ready')
    await expectError(await api.request(`/videos/${id}/transcript?source=bing`), 400, 'invalid_source')
    for (const ext of ['srt', 'vtt']) {
      await expectError(await api.request(`/videos/nope/transcript.${ext}`, asAdmin), 400, 'invalid_id')
      await expectError(await api.request(`/videos/${randomUUID()}/transcript.${ext}`, asAdmin), 404, 'video_not_found')
      await expectError(await api.request(`/videos/${id}/transcript.${ext}`, asAdmin), 404, 'transcript_not_ready')
      await expectError(await api.request(`/videos/${id}/transcript.${ext}?source=x`, asAdmin), 400, 'invalid_source')
    }
  })

  test('best takes whisper when present, else youtube; an explicit source only that one', async () => {
    const id = await newVideo()
    expect((await putJson(id, 'youtube', { segments: segs('yt', 2) })).status).toBe(200)
    expect((await readTranscript(id)).source).toBe('youtube')
    expect((await readTranscript(id, '?source=best')).segments.map((s) => s.text)).toEqual(['yt 0', 'yt 1'])
    await expectError(await api.request(`/videos/${id}/transcript?source=whisper`), 404, 'transcript_not_ready')

    expect((await putJson(id, 'whisper', { language: 'en', model: 'tiny', segments: segs('wh', 3) })).status).toBe(200)
    const best = await readTranscript(id)
    expect(best.source).toBe('whisper')
    expect(best.segments.map((s) => s.text)).toEqual(['wh 0', 'wh 1', 'wh 2'])
    expect((await readTranscript(id, '?source=youtube')).source).toBe('youtube')

    const video = (await (await api.request(`/videos/${id}`)).json()) as { transcript_sources: string[] }
    expect(video.transcript_sources).toEqual(['whisper', 'youtube'])
  })

  test('the routes are exactly /transcript, /transcript.srt and /transcript.vtt', async () => {
    const id = await newVideo()
    await putJson(id, 'whisper', { segments: segs('x', 1) })
    expect((await api.request(`/videos/${id}/transcript`)).headers.get('content-type')).toStartWith('application/json')
    expect((await api.request(`/videos/${id}/transcript.srt`, asAdmin)).headers.get('content-type')).toBe('application/x-subrip; charset=utf-8')
    expect((await api.request(`/videos/${id}/transcript.vtt`, asAdmin)).headers.get('content-type')).toBe('text/vtt; charset=utf-8')
    await expectError(await api.request(`/videos/${id}/transcript.txt`), 404, 'not_found')
    await expectError(await api.request(`/videos/${id}/transcript.json`), 404, 'not_found')
  })
})

describe('exports', () => {
  test('the golden transcript exports to exactly the golden SRT and VTT files, as named attachments', async () => {
    const id = await newVideo('GoldenVid01')
    const res = await put(id, 'whisper', JSON.stringify(fixture), 'application/json')
    expect(res.status).toBe(200)

    const srt = await api.request(`/videos/${id}/transcript.srt`, asAdmin)
    expect(srt.status).toBe(200)
    expect(srt.headers.get('content-type')).toBe('application/x-subrip; charset=utf-8')
    expect(srt.headers.get('content-disposition')).toBe('attachment; filename="GoldenVid01.whisper.srt"')
    expect(await srt.text()).toBe(goldenSrt)

    const vtt = await api.request(`/videos/${id}/transcript.vtt?source=whisper`, asAdmin)
    expect(vtt.status).toBe(200)
    expect(vtt.headers.get('content-type')).toBe('text/vtt; charset=utf-8')
    expect(vtt.headers.get('content-disposition')).toBe('attachment; filename="GoldenVid01.whisper.vtt"')
    expect(await vtt.text()).toBe(goldenVtt)
  })

  test('the filename names the source served and never carries header-breaking characters', async () => {
    const id = await newVideo('we"ird/id;x')
    await putJson(id, 'youtube', { segments: segs('y', 1) })
    const res = await api.request(`/videos/${id}/transcript.vtt`, asAdmin)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="we_ird_id_x.youtube.vtt"')
  })
})

describe('PUT /videos/{id}/transcript: ingest', () => {
  test('JSON: stored in order with language, model, speakers; read back as sent (text trimmed)', async () => {
    const id = await newVideo()
    const res = await putJson(id, 'whisper', {
      language: 'en',
      model: 'large-v3',
      segments: [
        { start_ms: 0, end_ms: 1200, text: ' Hello there.', speaker_label: 'SPEAKER_00', confidence: 0.91 },
        { start_ms: 1200, end_ms: 2500, text: 'General Kenobi!', speaker_label: 'SPEAKER_01' },
      ],
    })
    expect(res.status).toBe(200)
    const summary = (await res.json()) as SummaryJson
    expect(summary).toMatchObject({ video_id: id, source: 'whisper', language: 'en', model: 'large-v3', segment_count: 2, replaced: false })
    const tr = await readTranscript(id)
    expect(tr).toMatchObject({ video_id: id, transcript_id: summary.id, source: 'whisper', language: 'en', model: 'large-v3' })
    expect(tr.segments).toEqual([
      { idx: 0, start_ms: 0, end_ms: 1200, text: 'Hello there.', speaker_label: 'SPEAKER_00' },
      { idx: 1, start_ms: 1200, end_ms: 2500, text: 'General Kenobi!', speaker_label: 'SPEAKER_01' },
    ])
    const [conf] = await db.sql<{ confidence: number }[]>`SELECT confidence FROM segments WHERE transcript_id = ${summary.id} AND idx = 0`
    expect(conf?.confidence).toBeCloseTo(0.91, 5)
  })

  test('WebVTT: cues become segments, voice spans speakers, the Language header the language', async () => {
    const id = await newVideo()
    const res = await put(id, 'youtube', 'WEBVTT\nKind: captions\nLanguage: de\n\n00:00.500 --> 00:02.000\n<v Anna>Guten &amp; Tag\n\nNOTE x\n\n2\n00:00:02.000 --> 00:00:04.000 align:start\nzwei\nZeilen\n', 'text/vtt; charset=utf-8')
    expect(res.status).toBe(200)
    expect(((await res.json()) as SummaryJson).language).toBe('de')
    const tr = await readTranscript(id)
    expect(tr.language).toBe('de')
    expect(tr.segments).toEqual([
      { idx: 0, start_ms: 500, end_ms: 2000, text: 'Guten & Tag', speaker_label: 'Anna' },
      { idx: 1, start_ms: 2000, end_ms: 4000, text: 'zwei\nZeilen', speaker_label: null },
    ])
  })

  test('SubRip: cues become segments; language and model come from the query string', async () => {
    const id = await newVideo()
    const res = await api.request(`/videos/${id}/transcript?source=whisper&language=fr&model=whisper.cpp-base`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-subrip' },
      body: '1\r\n00:00:01,000 --> 00:00:02,000\r\nBonjour <i>à tous</i>\r\n\r\n2\r\n00:00:02,000 --> 00:00:03,000\r\nFin\r\n',
    })
    expect(res.status).toBe(200)
    expect((await res.json()) as SummaryJson).toMatchObject({ language: 'fr', model: 'whisper.cpp-base', segment_count: 2 })
    expect((await readTranscript(id)).segments.map((s) => [s.start_ms, s.end_ms, s.text])).toEqual([
      [1000, 2000, 'Bonjour à tous'],
      [2000, 3000, 'Fin'],
    ])
  })

  test('the golden SRT and VTT files ingest and export back to themselves', async () => {
    const vttVideo = await newVideo('roundtripV1')
    expect((await put(vttVideo, 'whisper', goldenVtt, 'text/vtt')).status).toBe(200)
    expect(await (await api.request(`/videos/${vttVideo}/transcript.vtt`, asAdmin)).text()).toBe(goldenVtt)
    const srtVideo = await newVideo('roundtripS1')
    expect((await put(srtVideo, 'youtube', goldenSrt, 'application/x-subrip')).status).toBe(200)
    expect(await (await api.request(`/videos/${srtVideo}/transcript.srt`, asAdmin)).text()).toBe(goldenSrt)
  })

  test('an empty transcript is accepted and read back as no segments', async () => {
    const id = await newVideo()
    const res = await put(id, 'whisper', 'WEBVTT\n', 'text/vtt')
    expect(((await res.json()) as SummaryJson).segment_count).toBe(0)
    expect((await readTranscript(id)).segments).toEqual([])
    expect(await (await api.request(`/videos/${id}/transcript.srt`, asAdmin)).text()).toBe('')
  })

  test('a second PUT replaces that source only: old segments are gone, the other source untouched', async () => {
    const id = await newVideo()
    const first = (await (await putJson(id, 'whisper', { segments: segs('old', 5) })).json()) as SummaryJson
    await putJson(id, 'youtube', { segments: segs('yt', 2) })
    const second = (await (await putJson(id, 'whisper', { segments: segs('new', 3) })).json()) as SummaryJson
    expect(second.replaced).toBe(true)
    expect(second.id).not.toBe(first.id)
    expect((await readTranscript(id, '?source=whisper')).segments.map((s) => s.text)).toEqual(['new 0', 'new 1', 'new 2'])
    expect((await readTranscript(id, '?source=youtube')).segments).toHaveLength(2)
    const [left] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM segments WHERE transcript_id = ${first.id}`
    expect(left?.n).toBe(0)
    const [video] = await db.sql<{ bumped: boolean }[]>`SELECT updated_at > created_at AS bumped FROM videos WHERE id = ${id}`
    expect(video?.bumped).toBe(true)
  })
})

describe('PUT /videos/{id}/transcript: refusals', () => {
  test('admins only: the bootstrap token works only while ADMIN_TOKEN is set; 401 for a missing or wrong credential', async () => {
    const id = await newVideo()
    const body = JSON.stringify({ segments: segs('x', 1) })
    const disabled = testApp(db.sql)
    const res = await disabled.request(`/videos/${id}/transcript?source=whisper`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body,
    })
    await expectError(res, 401, 'invalid_token')
    const noToken = await api.request(`/videos/${id}/transcript?source=whisper`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body })
    await expectError(noToken, 401, 'unauthorized')
    await expectError(await put(id, 'whisper', body, 'application/json', { authorization: 'Bearer wrong' }), 401, 'invalid_token')
    // The credential is checked before anything else: a bad id or body without it is still a 401.
    await expectError(await put('nope', 'whisper', '{', 'text/plain', { authorization: 'Basic x' }), 401, 'invalid_token')
    await expectError(await api.request(`/videos/${id}/transcript`), 404, 'transcript_not_ready')
  })

  test('400 invalid_id, invalid_source (also when missing), 404 video_not_found', async () => {
    const body = JSON.stringify({ segments: segs('x', 1) })
    await expectError(await put('123', 'whisper', body, 'application/json'), 400, 'invalid_id')
    const id = await newVideo()
    await expectError(await put(id, 'best', body, 'application/json'), 400, 'invalid_source')
    const missing = await api.request(`/videos/${id}/transcript`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body,
    })
    await expectError(missing, 400, 'invalid_source')
    await expectError(await put(randomUUID(), 'whisper', body, 'application/json'), 404, 'video_not_found')
  })

  test('415 for other content types and charsets', async () => {
    const id = await newVideo()
    await expectError(await put(id, 'whisper', 'hello', 'text/plain'), 415, 'unsupported_media_type')
    await expectError(await put(id, 'whisper', 'WEBVTT\n', 'text/vtt; charset=iso-8859-1'), 415, 'unsupported_media_type')
    const none = await api.request(`/videos/${id}/transcript?source=whisper`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: new Blob([new Uint8Array([1, 2, 3])]),
    })
    await expectError(none, 415, 'unsupported_media_type')
  })

  test('400 with a code and a message naming the line or segment for malformed bodies', async () => {
    const id = await newVideo()
    expect(await expectError(await put(id, 'whisper', '{"segments": [', 'application/json'), 400, 'invalid_json')).toStartWith('the body is not valid JSON')
    expect(await expectError(await putJson(id, 'whisper', { segments: [{ start_ms: 0, end_ms: 1, text: 'a', extra: 1 }] }), 400, 'invalid_json')).toContain('segments[0]')
    expect(await expectError(await put(id, 'whisper', 'WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nx\n', 'text/vtt'), 400, 'invalid_vtt')).toStartWith('line 3:')
    expect(await expectError(await put(id, 'whisper', '1\n00:00:01.000 -> 00:00:02.000\nx\n', 'application/x-subrip'), 400, 'invalid_srt')).toStartWith('line 2:')
    const overlap = { segments: [...segs('a', 2), { start_ms: 1500, end_ms: 1600, text: 'overlaps' }] }
    expect(await expectError(await putJson(id, 'whisper', overlap), 400, 'invalid_segments')).toStartWith('segments[2]: starts at 1500 ms, before the previous segment ends (1900 ms)')
    expect(await expectError(await put(id, 'whisper', 'WEBVTT\n\n00:02.000 --> 00:01.000\nbackwards\n', 'text/vtt'), 400, 'invalid_segments')).toStartWith('cue 1 (line 3): ends')
    await expectError(await putJson(id, 'whisper', { segments: [{ start_ms: 0, end_ms: 1, text: '' }] }), 400, 'invalid_segments')
    await expectError(await putJson(id, 'whisper', { segments: [{ start_ms: 0, end_ms: 1, text: 'nul \u0000' }] }), 400, 'invalid_segments')
    await expectError(await putJson(id, 'whisper', { segments: [{ start_ms: 0, end_ms: 3_000_000_000, text: 'too late' }] }), 400, 'invalid_segments')
    await expectError(await put(id, 'whisper', new Uint8Array([0x57, 0x45, 0xff, 0xfe]), 'text/vtt'), 400, 'invalid_encoding')
    await expectError(await putJson(id, 'whisper', { language: 'english please', segments: [] }), 400, 'invalid_language')
    await expectError(await putJson(id, 'whisper', { model: 'x'.repeat(101), segments: [] }), 400, 'invalid_model')
    // Nothing was stored by any of them.
    await expectError(await api.request(`/videos/${id}/transcript`), 404, 'transcript_not_ready')
  })

  test('413 payload_too_large past 5 MiB (declared, or streamed without a length) and past 20,000 segments', async () => {
    const id = await newVideo()
    const big = `WEBVTT\n\nNOTE ${'x'.repeat(5 * 1024 * 1024)}\n`
    await expectError(await put(id, 'whisper', big, 'text/vtt'), 413, 'payload_too_large')
    // A declared length past the limit is refused before reading, whatever the body.
    await expectError(await put(id, 'whisper', 'WEBVTT\n', 'text/vtt', { 'content-length': String(6 * 1024 * 1024) }), 413, 'payload_too_large')
    const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const streamed = await api.request(`/videos/${id}/transcript?source=whisper`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/vtt' },
      body: stream,
    })
    await expectError(streamed, 413, 'payload_too_large')
    expect(sent).toBeLessThan(8) // reading stopped at the limit instead of draining the body
    const many = await putJson(id, 'whisper', { segments: segs('s', 20_001) })
    expect(await expectError(many, 413, 'payload_too_large')).toBe('a transcript holds at most 20000 segments (got 20001)')
    const max = await putJson(id, 'whisper', { segments: segs('s', 20_000) })
    expect(((await max.json()) as SummaryJson).segment_count).toBe(20_000)
  }, 30_000)
})

describe('atomic replace', () => {
  test('reads running alongside a replace see the old transcript or the new one, whole', async () => {
    const id = await newVideo()
    const sizes = { old: 2000, new: 1500 } as const
    expect((await putJson(id, 'whisper', { segments: segs('old', sizes.old) })).status).toBe(200)
    let sawBefore = 0
    let sawAfter = 0
    for (let round = 0; round < 3; round++) {
      const [from, to] = round % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const)
      let done = false
      const replaced = putJson(id, 'whisper', { segments: segs(to, sizes[to]) }).finally(() => {
        done = true
      })
      // At least 20 reads, issued every 3 ms while the replace runs (at most 60), and one after it.
      const reads: Promise<TranscriptJson>[] = []
      while (reads.length < 20 || (!done && reads.length < 60)) {
        reads.push(readTranscript(id))
        await Bun.sleep(3)
      }
      expect((await replaced).status).toBe(200)
      reads.push(readTranscript(id))
      for (const tr of await Promise.all(reads)) {
        const prefix = tr.segments[0]?.text.split(' ')[0]
        expect(prefix === from || prefix === to).toBe(true)
        const set = prefix === from ? from : to
        expect(tr.segments).toHaveLength(sizes[set])
        expect(tr.segments.every((s, i) => s.idx === i && s.text === `${set} ${i}`)).toBe(true)
        if (set === from) sawBefore++
        else sawAfter++
      }
    }
    // The reads really overlapped the replaces: some saw the set before, some the set after.
    expect(sawBefore).toBeGreaterThan(0)
    expect(sawAfter).toBeGreaterThan(0)
  }, 30_000)

  test('concurrent replaces of one source queue instead of failing; exactly one transcript remains', async () => {
    const id = await newVideo()
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => putJson(id, 'whisper', { segments: segs(`v${i}`, 50 + i) })))
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200])
    const [count] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM transcripts WHERE video_id = ${id} AND source = 'whisper'`
    expect(count?.n).toBe(1)
    const tr = await readTranscript(id)
    const version = Number(tr.segments[0]?.text.split(' ')[0]?.slice(1))
    expect(tr.segments).toHaveLength(50 + version)
  }, 30_000)
})

describe('transcript read plan', () => {
  let big: TestDatabase
  beforeAll(async () => {
    big = await createTestDatabase({ migrated: true })
    // 5,000 videos; 300 of them × 2 sources × 40 segments = 24,000 segments.
    await big.sql`INSERT INTO videos (youtube_id) SELECT 'p' || i FROM generate_series(1, 5000) AS i`
    await big.sql`
      INSERT INTO transcripts (video_id, source)
      SELECT v.id, s FROM generate_series(1, 300) AS i JOIN videos v ON v.youtube_id = 'p' || i, unnest(ARRAY['whisper', 'youtube']) AS s`
    await big.sql`
      INSERT INTO segments (transcript_id, video_id, idx, start_ms, end_ms, text)
      SELECT t.id, t.video_id, i, i * 1000, i * 1000 + 900, 'segment ' || i FROM transcripts t, generate_series(0, 39) AS i`
    await big.sql`ANALYZE`
  }, 60_000)
  afterAll(async () => {
    await big.drop()
  })

  for (const choice of ['best', 'youtube'] as const) {
    test(`source=${choice}: one statement through videos_pkey, the (video_id, source) and (transcript_id, idx) keys; no Seq Scan`, async () => {
      const [video] = await big.sql<{ id: string }[]>`SELECT id FROM videos WHERE youtube_id = 'p150'`
      const plan = await planNodes(big.sql, readTranscriptQuery(big.sql, video?.id ?? '', choice))
      const indexes = indexesOf(plan)
      expect(indexes).toEqual(expect.arrayContaining(['videos_pkey', 'transcripts_video_id_source_key', 'segments_transcript_id_idx_key']))
      expect(plan.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([])
    })
  }
})
