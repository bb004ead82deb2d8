import { describe, expect, test } from 'bun:test'
import { parseJsonTranscript } from '../src/modules/transcripts/formats/json.ts'
import { formatTimestamp, TranscriptFormatError } from '../src/modules/transcripts/formats/segment.ts'
import { parseSrt, toSrt } from '../src/modules/transcripts/formats/srt.ts'
import { MAX_MS, validateSegments } from '../src/modules/transcripts/formats/validate.ts'
import { parseVtt, parseVttDocument, toVtt } from '../src/modules/transcripts/formats/vtt.ts'
import fixture from './golden/transcript.json'

// The VTT/SRT/JSON parsers and serializers, without a database: golden files, the markup real
// files carry, and an error naming the line for every way a file can be malformed.

const goldenSrt = await Bun.file(`${import.meta.dir}/golden/transcript.srt`).text()
const goldenVtt = await Bun.file(`${import.meta.dir}/golden/transcript.vtt`).text()

/** Runs `fn`, expecting a TranscriptFormatError; returns it for its code and message. */
function formatError(fn: () => unknown): TranscriptFormatError {
  try {
    fn()
  } catch (err) {
    if (err instanceof TranscriptFormatError) return err
    throw err
  }
  throw new Error('expected a TranscriptFormatError')
}

const plain = (segments: { start_ms: number; end_ms: number; text: string; speaker_label?: string | null }[]) =>
  segments.map(({ start_ms, end_ms, text, speaker_label }) => ({ start_ms, end_ms, text, speaker_label: speaker_label ?? null }))

describe('golden files', () => {
  test('toSrt writes exactly test/golden/transcript.srt', () => {
    expect(toSrt(fixture.segments)).toBe(goldenSrt)
  })

  test('toVtt writes exactly test/golden/transcript.vtt', () => {
    expect(toVtt(fixture.segments)).toBe(goldenVtt)
  })

  test('parsing the golden files gives back the fixture (blank lines inside a cue collapse)', () => {
    const expected = plain(fixture.segments).map((s) => ({ ...s, text: s.text.replace('\n\n', '\n') }))
    expect(plain(parseVtt(goldenVtt))).toEqual(expected)
    // SubRip has no speakers.
    expect(plain(parseSrt(goldenSrt))).toEqual(expected.map((s) => ({ ...s, speaker_label: null })))
  })

  test('cues are numbered from 1 and no cue text holds a blank line', () => {
    for (const file of [goldenSrt, goldenVtt.replace(/^WEBVTT\n\n/, '')]) {
      const blocks = file.trimEnd().split('\n\n')
      expect(blocks.length).toBe(fixture.segments.length)
      blocks.forEach((block, i) => {
        const [number, timing, ...text] = block.split('\n')
        expect(number).toBe(String(i + 1))
        expect(timing).toMatch(/^\d{2}:\d{2}:\d{2}[,.]\d{3} --> \d{2}:\d{2}:\d{2}[,.]\d{3}$/)
        expect(text.length).toBeGreaterThan(0)
        for (const line of text) expect(line.trim()).not.toBe('')
      })
    }
  })
})

describe('timestamps', () => {
  test('HH:MM:SS,mmm and HH:MM:SS.mmm, hours growing past two digits', () => {
    expect(formatTimestamp(0, ',')).toBe('00:00:00,000')
    expect(formatTimestamp(59_999, '.')).toBe('00:00:59.999')
    expect(formatTimestamp(3_723_456, ',')).toBe('01:02:03,456')
    expect(formatTimestamp(360_000_500, '.')).toBe('100:00:00.500')
    expect(formatTimestamp(MAX_MS, ',')).toBe('596:31:23,647')
  })

  test('a transcript past 100 hours round-trips through both formats', () => {
    const long = [{ start_ms: 360_000_000, end_ms: 360_001_234, text: 'late', speaker_label: null }]
    expect(plain(parseVtt(toVtt(long)))).toEqual(long)
    expect(plain(parseSrt(toSrt(long)))).toEqual(long)
  })
})

describe('toVtt / toSrt', () => {
  test('VTT escapes & < > (so "-->" cannot end up in cue text) and writes speakers as voice spans', () => {
    const vtt = toVtt([{ start_ms: 0, end_ms: 1, text: 'a --> b & <i>', speaker_label: 'A\nB' }])
    expect(vtt).toBe('WEBVTT\n\n1\n00:00:00.000 --> 00:00:00.001\n<v A B>a --&gt; b &amp; &lt;i&gt;\n')
  })

  test('SRT keeps text as is but drops blank and whitespace-only lines', () => {
    const srt = toSrt([{ start_ms: 0, end_ms: 1000, text: 'one\r\n\r\n   \ntwo  \n\n', speaker_label: 'ignored' }])
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:01,000\none\ntwo\n')
  })

  test('an empty transcript is a valid file', () => {
    expect(toVtt([])).toBe('WEBVTT\n')
    expect(toSrt([])).toBe('')
    expect(parseVtt('WEBVTT\n')).toEqual([])
    expect(parseSrt('')).toEqual([])
  })
})

describe('parseVtt', () => {
  test('reads header metadata, NOTE/STYLE/REGION blocks, identifiers, settings, CRLF and a BOM', () => {
    const file = [
      '\uFEFFWEBVTT - a title',
      'Kind: captions',
      'Language: en-GB',
      '',
      'STYLE',
      '::cue { color: yellow }',
      '',
      'REGION',
      'id:fred width:40%',
      '',
      'NOTE this is',
      'a comment',
      '',
      'intro',
      '00:01.000 --> 00:02.500 align:start position:10%',
      'short form',
      '',
      '',
      '01:00:00.000 --> 01:00:01.000',
      'hours',
    ].join('\r\n')
    const doc = parseVttDocument(file)
    expect(doc.language).toBe('en-GB')
    expect(doc.segments).toEqual([
      { start_ms: 1000, end_ms: 2500, text: 'short form', speaker_label: null, line: 15 },
      { start_ms: 3_600_000, end_ms: 3_601_000, text: 'hours', speaker_label: null, line: 19 },
    ])
  })

  test('strips markup, decodes entities, and takes the speaker from the first voice span', () => {
    const [seg] = parseVtt(
      'WEBVTT\n\n00:00.000 --> 00:01.000\n<v.loud Ann Lee><c.yellow>It&#39;s</c> <i>fine</i>&nbsp;&amp; <00:00:00.500>ok &lt;3 &unknown;\n<v Bob>second line',
    )
    expect(seg?.speaker_label).toBe('Ann Lee')
    expect(seg?.text).toBe("It's fine\u00a0& ok <3 &unknown;\nsecond line")
  })

  test('tolerates a missing blank line after the header, and a cue ending at the next timing line', () => {
    const segs = parseVtt('WEBVTT\n00:00.000 --> 00:01.000\none\n00:01.000 --> 00:02.000\ntwo\n')
    expect(segs.map((s) => s.text)).toEqual(['one', 'two'])
  })

  test('errors name the line', () => {
    const cases: [string, string][] = [
      ['00:00.000 --> 00:01.000\nno header', 'line 1: a WebVTT file must start with "WEBVTT"'],
      ['WEBVTTX\n', 'line 1'],
      ['WEBVTT\n\n00:00:00,000 --> 00:00:01,000\ncomma', 'line 3: "00:00:00,000" is not a WebVTT timestamp'],
      ['WEBVTT\n\n00:00:00.000 --> 00:00:61.000\nbad seconds', 'line 3: "00:00:61.000"'],
      ['WEBVTT\n\n00:00.000 -> 00:01.000\nbad arrow', 'line 4: expected a cue timing line'],
      ['WEBVTT\n\nidentifier\nno timing here\n', 'line 4: expected a cue timing line'],
      ['WEBVTT\n\n1\n', 'line 4: expected a cue timing line'],
      ['WEBVTT\n\n00:00.000 -->\n', 'line 3: malformed cue timing line'],
    ]
    for (const [file, message] of cases) {
      const err = formatError(() => parseVtt(file))
      expect(err.code).toBe('invalid_vtt')
      expect(err.message).toStartWith(message)
    }
  })
})

describe('parseSrt', () => {
  test('reads numbered cues, "." separators, a missing number, CRLF, a BOM and position suffixes', () => {
    const file = '\uFEFF1\r\n00:00:01,000 --> 00:00:02,000 X1:10 X2:20\r\n<i>one</i> {\\an8}\r\n\r\n00:00:02.000 --> 00:00:03.500\r\ntwo\r\n<b>lines</b> & <raw>\r\n'
    expect(parseSrt(file)).toEqual([
      { start_ms: 1000, end_ms: 2000, text: 'one', speaker_label: null, line: 2 },
      { start_ms: 2000, end_ms: 3500, text: 'two\nlines & <raw>', speaker_label: null, line: 5 },
    ])
  })

  test('a blank line inside a cue joins the orphaned lines to that cue', () => {
    const segs = parseSrt('1\n00:00:00,000 --> 00:00:01,000\nfirst\n\nstill first\n\n2\n00:00:01,000 --> 00:00:02,000\nsecond\n')
    expect(segs.map((s) => s.text)).toEqual(['first\nstill first', 'second'])
  })

  test('hours with more than two digits', () => {
    expect(parseSrt('1\n123:00:00,000 --> 123:00:01,000\nx')[0]?.start_ms).toBe(123 * 3_600_000)
  })

  test('errors name the line', () => {
    const cases: [string, string][] = [
      ['hello\nworld', 'line 1: expected a cue number or a timing line'],
      ['1\nhello', 'line 2: expected a timing line (00:00:01,000 --> 00:00:02,000) after cue number 1 on line 1'],
      ['1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03 --> 00:00:04\nbad', 'line 6: malformed timing line'],
      ['1\n00:00:01:000 --> 00:00:02,000\nbad', 'line 2: malformed timing line'],
      ['1\n00:61:01,000 --> 00:62:02,000\nbad', 'line 2: malformed timing line'],
    ]
    for (const [file, message] of cases) {
      const err = formatError(() => parseSrt(file))
      expect(err.code).toBe('invalid_srt')
      expect(err.message).toStartWith(message)
    }
  })
})

describe('parseJsonTranscript', () => {
  test('reads language, model and segments; optional fields default to null', () => {
    const doc = parseJsonTranscript(JSON.stringify({ language: 'en', segments: [{ start_ms: 0, end_ms: 5, text: 'hi', confidence: 0.5 }] }))
    expect(doc).toEqual({ language: 'en', model: null, segments: [{ start_ms: 0, end_ms: 5, text: 'hi', speaker_label: null, confidence: 0.5 }] })
  })

  test('errors name the segment and field', () => {
    const cases: [string, string][] = [
      ['{"segments": [', 'the body is not valid JSON'],
      ['[]', 'the body must be a JSON object'],
      ['{"segments": {}}', '"segments" must be an array'],
      ['{"segmnts": []}', 'unknown field "segmnts"'],
      ['{"segments": [], "language": 5}', 'language must be a string or null'],
      ['{"segments": [1]}', 'segments[0] must be an object'],
      ['{"segments": [{"start_ms": 0, "end_ms": 1, "text": "a"}, {"start_ms": "1", "end_ms": 2, "text": "b"}]}', 'segments[1].start_ms must be a number'],
      ['{"segments": [{"start_ms": 0, "end_ms": 1}]}', 'segments[0].text must be a string'],
      ['{"segments": [{"start_ms": 0, "end_ms": 1, "text": "a", "speaker": "x"}]}', 'segments[0]: unknown field "speaker"'],
      ['{"segments": [{"start_ms": 0, "end_ms": 1, "text": "a", "confidence": "high"}]}', 'segments[0].confidence must be a number or null'],
    ]
    for (const [body, message] of cases) {
      const err = formatError(() => parseJsonTranscript(body))
      expect(err.code).toBe('invalid_json')
      expect(err.message).toStartWith(message)
    }
  })
})

describe('validateSegments', () => {
  const seg = (start_ms: number, end_ms: number, text = 'x', extra: object = {}) => ({ start_ms, end_ms, text, ...extra })

  test('trims text, normalises CRLF, fills nulls; touching segments are fine', () => {
    expect(validateSegments([seg(0, 10, '  a\r\nb  '), seg(10, 10, 'c', { speaker_label: '  S1 ', confidence: 1 })])).toEqual([
      { start_ms: 0, end_ms: 10, text: 'a\nb', speaker_label: null, confidence: null },
      { start_ms: 10, end_ms: 10, text: 'c', speaker_label: 'S1', confidence: 1 },
    ])
  })

  test('each broken rule is an invalid_segments error naming the segment (or the cue and its line)', () => {
    const cases: [Parameters<typeof validateSegments>[0], string][] = [
      [[seg(5, 4)], 'segments[0]: ends (4 ms) before it starts (5 ms)'],
      [[seg(0, 10), seg(20, 30), seg(15, 40)], 'segments[2]: starts at 15 ms, before the previous segment (20 ms): segments must be in order'],
      [[seg(0, 10), seg(9, 20)], 'segments[1]: starts at 9 ms, before the previous segment ends (10 ms): segments must not overlap'],
      [[seg(0, 1, '  \n ')], 'segments[0]: text is empty'],
      [[{ ...seg(0, 1, ''), line: 7 }], 'cue 1 (line 7): text is empty'],
      [[seg(-1, 1)], 'segments[0]: start_ms must be an integer'],
      [[seg(0, 1.5)], 'segments[0]: end_ms must be an integer'],
      [[seg(0, MAX_MS + 1)], 'segments[0]: end_ms must be an integer'],
      [[seg(0, 1, 'a\u0000b')], 'segments[0]: text contains a control character'],
      [[seg(0, 1, 'x'.repeat(10_001))], 'segments[0]: text is longer than 10000 characters'],
      [[seg(0, 1, 'a', { speaker_label: 'x'.repeat(101) })], 'segments[0]: speaker_label must be at most 100 characters'],
      [[seg(0, 1, 'a', { confidence: 1.5 })], 'segments[0]: confidence must be a number from 0 to 1'],
      [[seg(0, 1, 'a', { confidence: Number.NaN })], 'segments[0]: confidence must be a number from 0 to 1'],
    ]
    for (const [segments, message] of cases) {
      const err = formatError(() => validateSegments(segments))
      expect(err.code).toBe('invalid_segments')
      expect(err.message).toStartWith(message)
    }
  })

  test('more segments than the maximum is too_many_segments', () => {
    const segments = Array.from({ length: 4 }, (_, i) => seg(i, i + 1))
    expect(validateSegments(segments, 4)).toHaveLength(4)
    const err = formatError(() => validateSegments(segments, 3))
    expect(err.code).toBe('too_many_segments')
    expect(err.message).toBe('a transcript holds at most 3 segments (got 4)')
  })
})
