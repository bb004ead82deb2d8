import { at, type Random } from './prng.ts'
import { VOCABULARY } from './vocabulary.ts'
import { ZipfSampler } from './zipf.ts'

// The spoken content of one video: timed utterances of English-like words. Words are drawn by
// rank from a frequency-ordered vocabulary with Zipf's law (s = 1, Mandelbrot offset 2.7), plus
// now and then a word of the video's topic, so searching a topic finds the videos about it. Both
// transcript sources of a video render the same utterances: Whisper's with capitals and
// punctuation, YouTube's automatic captions in lower case without punctuation, as the real ones look.

export interface Utterance {
  startMs: number
  endMs: number
  /** Lower-case vocabulary words. */
  words: string[]
  /** 0-based; only meaningful when the video has several speakers. */
  speaker: number
  /** Whisper's per-segment confidence, 0..1. */
  confidence: number
  /** Whether a new sentence starts here (capitalised in Whisper's rendering). */
  opensSentence: boolean
  /** What closes the utterance in Whisper's rendering: '.', '?', '!', ',' or nothing. */
  close: string
}

export interface SpeechOptions {
  count: number
  speakers: number
  topicWords: readonly string[]
}

/** Speech rate of conversational English, words per second. */
const WORDS_PER_SECOND = 2.6
const TOPIC_WORD_RATE = 0.025

let sampler: ZipfSampler | undefined
/** Built on first use: a 4,000-entry table is cheap, but importing this module should cost nothing. */
function words(): ZipfSampler {
  sampler ??= new ZipfSampler(VOCABULARY.length, 1, 2.7)
  return sampler
}

function closing(rng: Random): string {
  const r = rng.next()
  if (r < 0.56) return '.'
  if (r < 0.68) return '?'
  if (r < 0.72) return '!'
  if (r < 0.86) return ','
  return ''
}

/** Where speech starts: most videos open with a moment of silence or music. */
function leadInMs(timing: Random): number {
  return timing.int(0, 3000)
}

/** One utterance's length, then the pause after it (short breaths, now and then a longer pause). */
function utteranceMs(timing: Random): number {
  return Math.round(Math.min(9000, Math.max(1200, 3500 * timing.spread(0.45))))
}
function pauseMs(timing: Random): number {
  return timing.chance(0.06) ? timing.int(1500, 5000) : timing.int(0, 400)
}

/**
 * When the last of `count` utterances ends. Draws exactly what speak() draws from the same timing
 * stream, so the plan knows a video's length before its words are generated.
 */
export function speechEndMs(timing: Random, count: number): number {
  let t = leadInMs(timing)
  let end = t
  for (let i = 0; i < count; i++) {
    end = t + utteranceMs(timing)
    t = end + pauseMs(timing)
  }
  return end
}

/**
 * `count` utterances in time order; each starts at or after the end of the one before. Timing
 * and words come from separate streams so that speechEndMs() can replay the timing alone.
 */
export function speak(timing: Random, content: Random, { count, speakers, topicWords }: SpeechOptions): Utterance[] {
  const zipf = words()
  const out: Utterance[] = new Array(count)
  let t = leadInMs(timing)
  let speaker = 0
  let opensSentence = true
  for (let i = 0; i < count; i++) {
    const durationMs = utteranceMs(timing)
    const n = Math.max(1, Math.round((durationMs / 1000) * WORDS_PER_SECOND * (0.75 + 0.5 * content.next())))
    const text: string[] = new Array(n)
    for (let w = 0; w < n; w++) {
      text[w] = topicWords.length > 0 && content.next() < TOPIC_WORD_RATE ? content.pick(topicWords) : at(VOCABULARY, zipf.sample(content))
    }
    if (speakers > 1 && opensSentence && content.chance(0.2)) {
      // The host (speaker 0) takes about half the turns; guests share the rest.
      speaker = content.chance(0.5) ? 0 : content.int(1, speakers - 1)
    }
    const close = closing(content)
    out[i] = {
      startMs: t,
      endMs: t + durationMs,
      words: text,
      speaker,
      confidence: Math.round((1 - 0.35 * Math.pow(content.next(), 3)) * 1000) / 1000,
      opensSentence,
      close,
    }
    opensSentence = close !== ',' && close !== ''
    t += durationMs + pauseMs(timing)
  }
  return out
}

export function whisperText(u: Utterance): string {
  let s = ''
  for (let i = 0; i < u.words.length; i++) {
    let w = at(u.words, i)
    if (w === 'i') w = 'I'
    else if (i === 0 && u.opensSentence) w = w.charAt(0).toUpperCase() + w.slice(1)
    s += i === 0 ? w : ' ' + w
  }
  return s + u.close
}

export function youtubeText(u: Utterance): string {
  return u.words.join(' ')
}

/** Lower-case words of a topic that are worth searching for ("quantum", "computing"). */
export function topicWordsOf(topic: string): string[] {
  return topic
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w.length >= 4 && w !== 'with' && w !== 'like' && w !== 'about')
}
