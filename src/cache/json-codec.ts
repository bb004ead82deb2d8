import type { Bytes, Codec } from './codec.ts'

// Small records (sessions, API keys, accounts) as JSON: L1 keeps the object itself, so a hit does
// no parsing at all; `null` is the "not found" answer, kept for the negative TTL.

const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** A JS string costs about two bytes a character, plus the objects around it. */
const OBJECT_OVERHEAD = 64

export function jsonCodec<T>(name: string): Codec<T | null> {
  return {
    name,
    encode: (value) => encoder.encode(JSON.stringify(value)) as Bytes,
    decode: (bytes) => {
      try {
        return JSON.parse(decoder.decode(bytes)) as T | null
      } catch {
        return undefined
      }
    },
    size: (value) => JSON.stringify(value).length * 2 + OBJECT_OVERHEAD,
    keep: (value) => (value === null ? 'negative' : 'positive'),
  }
}
