// Accept-Encoding negotiation (RFC 9110 §12.5.3), reduced to the one question we ask: gzip or not.

/** True when the client accepts gzip: listed with q > 0, or not listed while `*` has q > 0. */
export function acceptsGzip(header: string | null): boolean {
  if (!header) return false
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
