import type { Sql } from '../../platform/db.ts'
import type { Timed } from '../../platform/db-metrics.ts'
import { insertEvents, listEvents, type ListEventsInput, type NewEvent } from './queries.ts'

// Usage events: recorded as callers send them (validated by the routes), listed for admins.

export function createEventService(deps: { sql: Sql; timed: Timed }) {
  const { sql, timed } = deps
  return {
    async record(event: NewEvent) {
      const [stored] = await timed('event_insert', () => insertEvents(sql, [event]))
      return stored
    },
    /** All or nothing: one INSERT stores every event. */
    recordBatch(events: readonly NewEvent[]) {
      return timed('events_insert', () => insertEvents(sql, events))
    },
    /** Newest first, after `beforeId`. */
    list(input: ListEventsInput) {
      return timed('admin_event_list', () => listEvents(sql, input))
    },
  }
}

export type EventService = ReturnType<typeof createEventService>
