import { Resvg } from '@resvg/resvg-js'

// PNG charts without a browser: the runner draws small SVG bar charts and resvg (a native renderer
// shipped in its npm package) turns them into PNGs. One panel per scenario, each with its own scale.

export interface Bar {
  label: string
  value: number
  color: string
  opacity?: number
}

export interface Group {
  label: string
  bars: Bar[]
}

export interface Panel {
  title: string
  unit: string
  groups: Group[]
  /** A dashed line, e.g. the p95 target. */
  line?: { value: number; label: string }
  /** Logarithmic axis: for latencies that span ms (cached) to seconds (uncached). */
  log?: boolean
}

export interface Chart {
  title: string
  subtitle: string
  panels: Panel[]
  legend: { label: string; color: string }[]
}

const PANEL_W = 600
const PANEL_H = 300
const COLS = 2
const HEADER_H = 78
const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif'

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

function fmt(value: number, unit: string): string {
  if (unit === 'req/s') return value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value >= 1000 ? `${(value / 1000).toFixed(2)}k` : value.toFixed(0)
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : String(Number(value.toPrecision(1)))
}

/** A round axis maximum: 1, 2 or 5 × 10^n just above the largest value. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1
  const pow = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 5, 10]) if (m * pow >= v) return m * pow
  return 10 * pow
}

function panelSvg(p: Panel, x0: number, y0: number): string {
  const left = 62
  const right = 16
  const top = 34
  const bottom = 46
  const w = PANEL_W - left - right
  const h = PANEL_H - top - bottom
  const values = p.groups.flatMap((g) => g.bars.map((b) => b.value))
  const top_ = Math.max(...values, p.line?.value ?? 0)
  const lo = p.log ? 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...values.filter((v) => v > 0), p.line?.value ?? Infinity)))) : 0
  const max = p.log ? 10 ** Math.ceil(Math.log10(Math.max(top_ * 1.5, lo * 10))) : niceMax(top_ * 1.12)
  const share = (v: number) => (p.log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(max) - Math.log10(lo)) : Math.min(v, max) / max)
  const y = (v: number) => y0 + top + h - Math.min(1, share(v)) * h
  const out: string[] = []
  out.push(`<rect x="${x0 + 6}" y="${y0 + 6}" width="${PANEL_W - 12}" height="${PANEL_H - 12}" rx="6" fill="#fafafa" stroke="#ddd"/>`)
  out.push(`<text x="${x0 + left}" y="${y0 + 24}" font-size="14" font-weight="bold" fill="#222">${esc(p.title)}</text>`)
  const ticks: number[] = []
  if (p.log) for (let v = lo; v <= max * 1.0001; v *= 10) ticks.push(v)
  else for (let i = 0; i <= 4; i++) ticks.push((max / 4) * i)
  for (const v of ticks) {
    const yy = y(v)
    out.push(`<line x1="${x0 + left}" x2="${x0 + left + w}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`)
    out.push(`<text x="${x0 + left - 6}" y="${yy + 4}" font-size="11" fill="#666" text-anchor="end">${esc(fmt(v, p.unit))}</text>`)
  }
  out.push(`<text x="${x0 + 16}" y="${y0 + top + h / 2}" font-size="11" fill="#666" transform="rotate(-90 ${x0 + 16} ${y0 + top + h / 2})" text-anchor="middle">${esc(p.log ? `${p.unit} (log scale)` : p.unit)}</text>`)
  const groupW = w / Math.max(1, p.groups.length)
  p.groups.forEach((g, gi) => {
    const gx = x0 + left + gi * groupW
    const n = g.bars.length
    const barW = Math.min(56, (groupW * 0.8) / Math.max(1, n))
    const start = gx + (groupW - barW * n) / 2
    g.bars.forEach((b, bi) => {
      const bx = start + bi * barW
      const by = y(b.value)
      out.push(`<rect x="${bx + 1}" y="${by}" width="${barW - 2}" height="${Math.max(0.5, y0 + top + h - by)}" fill="${b.color}" fill-opacity="${b.opacity ?? 1}"/>`)
      out.push(`<text x="${bx + barW / 2}" y="${by - 4}" font-size="${n > 2 ? 9.5 : 11}" fill="#222" text-anchor="middle">${esc(fmt(b.value, p.unit))}</text>`)
    })
    out.push(`<text x="${gx + groupW / 2}" y="${y0 + top + h + 18}" font-size="12" fill="#333" text-anchor="middle">${esc(g.label)}</text>`)
  })
  if (p.line && p.line.value <= max && p.line.value >= lo) {
    const ly = y(p.line.value)
    out.push(`<line x1="${x0 + left}" x2="${x0 + left + w}" y1="${ly}" y2="${ly}" stroke="#c0392b" stroke-dasharray="6 4" stroke-width="1.5"/>`)
    out.push(`<text x="${x0 + left + 4}" y="${ly - 4}" font-size="10.5" fill="#c0392b">${esc(p.line.label)}</text>`)
  }
  return out.join('\n')
}

export function chartSvg(c: Chart): string {
  const rows = Math.ceil(c.panels.length / COLS)
  const width = PANEL_W * Math.min(COLS, Math.max(1, c.panels.length))
  const height = HEADER_H + rows * PANEL_H + 8
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="26" font-size="18" font-weight="bold" fill="#111">${esc(c.title)}</text>`,
    `<text x="16" y="46" font-size="12" fill="#555">${esc(c.subtitle)}</text>`,
  ]
  let lx = 16
  for (const item of c.legend) {
    parts.push(`<rect x="${lx}" y="56" width="12" height="12" fill="${item.color}"/>`)
    parts.push(`<text x="${lx + 16}" y="66" font-size="12" fill="#333">${esc(item.label)}</text>`)
    lx += 28 + item.label.length * 7
  }
  c.panels.forEach((p, i) => parts.push(panelSvg(p, (i % COLS) * PANEL_W, HEADER_H + Math.floor(i / COLS) * PANEL_H)))
  parts.push('</svg>')
  return parts.join('\n')
}

export function renderPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' })
  return resvg.render().asPng()
}
