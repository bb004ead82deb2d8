// Accept-Encoding negotiation (RFC 9110 §12.5.3), reduced to the one question we ask: gzip or not.

/** Clients send a handful of distinct headers: remember the answers (bounded, so never a leak). */
const memo = new Map<string, boolean>()
const MEMO_MAX = 256

/** True when the client accepts gzip: listed with q > 0, or not listed while `*` has q > 0. */
export function acceptsGzip(header: string | null): boolean {
  if (!header) return false
  const known = memo.get(header)
  if (known !== undefined) return known
  const answer = parse(header)
  if (memo.size < MEMO_MAX) memo.set(header, answer)
  return answer
}

function parse(header: string): boolean {
  let gzip: number | undefined
  let star: number | undefined
  for (const part of header.split(',')) {
    const [rawName, ...params] = part.split(';')
    const name = rawName?.trim().toLowerCase()
    let q = 1
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)
      if (m?.[1] !== undefined) q = Number(m[1])
    }
    if (Number.isNaN(q)) q = 0
    if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip ?? 0, q)
    else if (name === '*') star = q
  }
  if (gzip !== undefined) return gzip > 0
  return star !== undefined && star > 0
}
