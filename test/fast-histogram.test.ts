import { describe, expect, test } from 'bun:test'
import { Histogram, Registry } from 'prom-client'
import { FastHistogram } from '../src/platform/fast-histogram.ts'

// The request histogram is ours for speed (src/platform/fast-histogram.ts); Prometheus must not be
// able to tell: the same observations give the same exposition text as prom-client's Histogram.

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

function pair() {
  const theirs = new Registry()
  const ours = new Registry()
  const reference = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['route', 'status_class'] as const, buckets: BUCKETS, registers: [theirs] })
  const fast = new FastHistogram('h_seconds', 'help text', BUCKETS)
  ours.registerMetric(fast.asMetric())
  return { theirs, ours, reference, fast }
}

describe('FastHistogram', () => {
  test('the same observations give the same Prometheus text as prom-client, bounds included', async () => {
    const { theirs, ours, reference, fast } = pair()
    const labelSets = [
      { route: '/videos/:id', status_class: '2xx' },
      { route: '/search', status_class: '4xx' },
    ]
    const children = labelSets.map((l) => fast.child(l))
    let seed = 7
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2
    const values = [...BUCKETS, 0, 20, ...Array.from({ length: 500 }, random)]
    values.forEach((v, i) => {
      reference.observe(labelSets[i % 2]!, v)
      children[i % 2]!.observe(v)
    })
    expect(await ours.metrics()).toBe(await theirs.metrics())
    expect(JSON.stringify(await ours.getMetricsAsJSON())).toBe(JSON.stringify(await theirs.getMetricsAsJSON()))
  })

  test('a child is made once per label set; reset zeroes every series, as Registry.resetMetrics does', async () => {
    const { ours, fast } = pair()
    const a = fast.child({ route: '/x', status_class: '2xx' })
    expect(fast.child({ route: '/x', status_class: '2xx' })).toBe(a)
    a.observe(0.002)
    expect(await ours.metrics()).toContain('h_seconds_count{route="/x",status_class="2xx"} 1')
    ours.resetMetrics()
    expect(await ours.metrics()).toContain('h_seconds_count{route="/x",status_class="2xx"} 0')
  })
})
