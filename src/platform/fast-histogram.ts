import type { Metric } from 'prom-client'

// A histogram for the per-request hot path, exposed through the prom-client registry like any other
// metric. prom-client's observe() rebuilds and hashes the label set and allocates a closure on every
// call (~600 ns, measured: about 5% of a cache hit's CPU); here a labelled child is made once and an
// observation is a bucket search and three additions. The registry reads it through the same
// three methods it reads its own metrics with: get(), reset() and the name/help/type fields.

type Labels = Record<string, string>

export interface HistogramChild {
  observe(value: number): void
}

class Child implements HistogramChild {
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(value: number): void {
    let i = 0
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++
    ;(this.counts[i] as number)++
    this.sum += value
    this.count++
  }
}

export class FastHistogram {
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  private readonly children = new Map<string, Child>()

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  /** The child for this label set, made on first use; keep it rather than asking again. */
  child(labels: Labels): HistogramChild {
    const key = JSON.stringify(labels)
    let child = this.children.get(key)
    if (!child) {
      child = new Child(labels, this.buckets)
      this.children.set(key, child)
    }
    return child
  }

  /** What prom-client's Registry formats, shaped as its Histogram's: cumulative `_bucket` series, `_sum`, `_count`. */
  async get() {
    const values: { value: number; metricName: string; exemplar?: null; labels: Record<string, string | number> }[] = []
    for (const child of this.children.values()) {
      let cumulative = 0
      this.buckets.forEach((bound, i) => {
        cumulative += child.counts[i] as number
        values.push({ value: cumulative, metricName: `${this.name}_bucket`, exemplar: null, labels: { le: bound, ...child.labels } })
      })
      values.push({ value: child.count, metricName: `${this.name}_bucket`, exemplar: null, labels: { le: '+Inf', ...child.labels } })
      values.push({ value: child.sum, metricName: `${this.name}_sum`, labels: child.labels })
      values.push({ value: child.count, metricName: `${this.name}_count`, labels: child.labels })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  reset(): void {
    for (const child of this.children.values()) {
      child.counts.fill(0)
      child.sum = 0
      child.count = 0
    }
  }

  /** For Registry.registerMetric, whose type lists prom-client's own classes only. */
  asMetric(): Metric {
    return this as unknown as Metric
  }
}
