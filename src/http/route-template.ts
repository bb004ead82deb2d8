// Matches a URL path against route templates (`/videos/:id/transcript`) segment by segment: the
// fast path's own small router for the few public cached GETs, so it needs nothing of the real
// router's internals. Literal segments match exactly, `:name` segments capture one non-empty
// segment. A path the matcher is unsure of (a percent-escape in a parameter, which the router would
// decode) matches nothing: the router answers it, which is always correct.

interface Compiled<T> {
  /** Per segment: the literal to equal, or the parameter name (template segments starting with `:`). */
  segments: { literal: string; param: boolean }[]
  value: T
}

export interface TemplateMatch<T> {
  value: T
  params: Record<string, string>
}

export class TemplateMatcher<T> {
  /** By segment count, so a path is compared with the templates it could be. */
  private readonly bySize = new Map<number, Compiled<T>[]>()

  constructor(entries: Iterable<readonly [template: string, value: T]>) {
    for (const [template, value] of entries) {
      if (!template.startsWith('/') || template.includes('*')) throw new Error(`unsupported route template ${template}`)
      const segments = template
        .slice(1)
        .split('/')
        .map((s) => (s.startsWith(':') ? { literal: s.slice(1), param: true } : { literal: s, param: false }))
      const list = this.bySize.get(segments.length) ?? []
      list.push({ segments, value })
      this.bySize.set(segments.length, list)
    }
  }

  /** `path` without its query. */
  match(path: string): TemplateMatch<T> | undefined {
    if (!path.startsWith('/')) return undefined
    const parts = path.slice(1).split('/')
    for (const candidate of this.bySize.get(parts.length) ?? []) {
      const params: Record<string, string> = {}
      let ok = true
      for (let i = 0; i < parts.length && ok; i++) {
        const segment = candidate.segments[i]
        const part = parts[i] as string
        if (!segment) ok = false
        else if (!segment.param) ok = part === segment.literal
        else if (part === '' || part.includes('%')) ok = false
        else params[segment.literal] = part
      }
      if (ok) return { value: candidate.value, params }
    }
    return undefined
  }
}
