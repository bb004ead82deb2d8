import { Counter, Gauge, type Registry } from 'prom-client'
import { FILL_ROUTES, type ReplicaReads } from './replica-reads.ts'

// Where cache fills went and the replicas' state, copied into the exposition when /metrics is read
// (the fill path only bumps plain numbers). Replicas are labelled host:port/database.

export function registerReplicaMetrics(registry: Registry, reads: ReplicaReads): void {
  new Counter({
    name: 'db_fills_total',
    help: 'Cache fills by where they queried: route="replica", or the reason they went to the primary (no_replica, replica_behind, position_unknown, bus_untrusted, replica_failed: retried on the primary)',
    labelNames: ['route'] as const,
    registers: [registry],
    collect() {
      this.reset()
      for (const route of FILL_ROUTES) this.inc({ route }, reads.counts.get(route) ?? 0)
    },
  })
  new Gauge({
    name: 'db_replica_in_rotation',
    help: 'Whether a read replica may serve cache fills (1) or not (0: unreachable, not a standby, or behind by more than DB_REPLICA_MAX_LAG_MS)',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      for (const r of reads.replicas.replicas) this.set({ replica: r.name }, r.inRotation ? 1 : 0)
    },
  })
  new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'How far behind the primary a read replica was at its last poll (+Inf when unreachable or past the measured window)',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      for (const r of reads.replicas.replicas) this.set({ replica: r.name }, r.lagMs / 1000)
    },
  })
}
