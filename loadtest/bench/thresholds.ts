import { join } from 'node:path'

// loadtest/thresholds.json, as the local runner reads it: a scenario's own targets, its "quick"
// overrides for --quick, and the guide's floor for whatever the scenario leaves out.

export interface Ratios {
  min_vs_nocache?: number
  min_vs_ceiling?: number
  min_metrics_on_vs_off?: number
}

export interface ScenarioTargets {
  description?: string
  p95_ms?: number
  p99_ms?: number
  max_error_rate?: number
  min_hit_rate?: number
  max_slow_queries?: number
  max_loader_calls_per_key?: number
  max_rss_growth_mb?: number
  endpoints?: Record<string, { p95_ms: number }>
  ratios?: Ratios
  quick?: Omit<ScenarioTargets, 'quick' | 'description' | 'endpoints'>
}

export interface Guide {
  api_p95_ms: number
  search_p95_ms: number
  max_query_ms: number
  min_hit_rate: number
  max_error_rate: number
}

export interface ThresholdsFile {
  guide: Guide
  scenarios: Record<string, ScenarioTargets>
}

export type Effective = Required<Pick<ScenarioTargets, 'p95_ms' | 'max_error_rate'>> & Omit<ScenarioTargets, 'quick' | 'p95_ms' | 'max_error_rate'>

export async function loadThresholds(): Promise<ThresholdsFile> {
  const file = (await Bun.file(join(import.meta.dir, '..', 'thresholds.json')).json()) as ThresholdsFile
  if (!file.guide || !file.scenarios) throw new Error('loadtest/thresholds.json needs "guide" and "scenarios"')
  return file
}

/** The targets a scenario is checked against: its own (plus quick overrides), the guide where it says nothing. */
export function effectiveTargets(file: ThresholdsFile, scenario: string, quick: boolean): Effective {
  const own = file.scenarios[scenario]
  if (!own) throw new Error(`loadtest/thresholds.json has no scenario "${scenario}"`)
  const { quick: overrides, ...base } = own
  const merged: ScenarioTargets = quick && overrides ? { ...base, ...overrides, ratios: { ...base.ratios, ...overrides.ratios } } : base
  const guideP95 = scenario === 'search' || scenario === 'search-uncached' ? file.guide.search_p95_ms : file.guide.api_p95_ms
  const out: Effective = {
    ...merged,
    p95_ms: merged.p95_ms ?? guideP95,
    max_error_rate: merged.max_error_rate ?? file.guide.max_error_rate,
  }
  // The guide is the floor: a scenario may be stricter, never looser.
  const looser: string[] = []
  if (out.p95_ms > guideP95) looser.push(`p95_ms ${out.p95_ms} > guide ${guideP95}`)
  if (out.max_error_rate > file.guide.max_error_rate) looser.push(`max_error_rate ${out.max_error_rate} > guide ${file.guide.max_error_rate}`)
  if (out.min_hit_rate !== undefined && out.min_hit_rate < file.guide.min_hit_rate) looser.push(`min_hit_rate ${out.min_hit_rate} < guide ${file.guide.min_hit_rate}`)
  if (looser.length > 0) throw new Error(`loadtest/thresholds.json: scenario "${scenario}"${quick ? ' (quick)' : ''} is looser than the guide: ${looser.join('; ')}`)
  return out
}

export interface Check {
  scenario: string
  what: string
  target: string
  actual: string
  ok: boolean
}

export function checkMax(scenario: string, what: string, actual: number | undefined, max: number | undefined, fmt: (n: number) => string): Check | undefined {
  if (max === undefined || actual === undefined) return undefined
  return { scenario, what, target: `≤ ${fmt(max)}`, actual: fmt(actual), ok: actual <= max }
}

export function checkMin(scenario: string, what: string, actual: number | undefined, min: number | undefined, fmt: (n: number) => string): Check | undefined {
  if (min === undefined) return undefined
  if (actual === undefined) return { scenario, what, target: `≥ ${fmt(min)}`, actual: 'n/a', ok: false }
  return { scenario, what, target: `≥ ${fmt(min)}`, actual: fmt(actual), ok: actual >= min }
}
