import type { Random } from './prng.ts'

// Rank-frequency sampling: rank r (1-based) is drawn with probability proportional to 1/(r+q)^s
// (Zipf's law; q > 0 is Mandelbrot's refinement, which flattens the head so the top word is a few
// per cent of running text, as "the" is, rather than one word in nine). Natural-language word
// frequencies follow this law with s close to 1, so over a frequency-ordered
// vocabulary the generated text has realistic full-text selectivity: a common word is in many
// segments, a rare one in a handful. The same law also models popularity (which videos get
// favorited and viewed).

export class ZipfSampler {
  /** cumulative[r] = P(rank <= r); the last entry is 1. */
  private readonly cumulative: Float64Array

  constructor(
    readonly size: number,
    exponent = 1,
    offset = 0,
  ) {
    if (size < 1) throw new RangeError('ZipfSampler needs at least one rank')
    this.cumulative = new Float64Array(size)
    let total = 0
    for (let r = 0; r < size; r++) {
      total += 1 / Math.pow(r + 1 + offset, exponent)
      this.cumulative[r] = total
    }
    for (let r = 0; r < size; r++) this.cumulative[r] = (this.cumulative[r] ?? 0) / total
    this.cumulative[size - 1] = 1
  }

  /** A 0-based rank. Binary search: ~12 steps over a 4,000-word vocabulary. */
  sample(rng: Random): number {
    const u = rng.next()
    const c = this.cumulative
    let lo = 0
    let hi = this.size - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((c[mid] ?? 1) > u) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}
