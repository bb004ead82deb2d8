import { Elysia } from 'elysia'
import { badRequest } from '../../http/errors.ts'
import type { AccountCaller, Identity } from '../../http/caller.ts'
import { readJsonObject } from '../../http/json-body.ts'
import { operation } from '../../http/openapi-operation.ts'
import { validateObject } from '../../http/validate.ts'
import {
  BatchResultSchema,
  EventBatchEnvelope,
  EventBatchSchema,
  EventSchema,
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_EVENTS,
  MAX_EVENT_BODY_BYTES,
  MAX_EVENT_PAYLOAD_BYTES,
  NewEventSchema,
} from './model.ts'
import { RESERVED_EVENT_TYPES, type NewEvent } from './queries.ts'
import type { EventService } from './service.ts'

// POST /events and POST /events/batch: usage events recorded for the signed-in caller.

const encoder = new TextEncoder()

/** The rules beyond the schema: reserved types, the payload's size as JSON, no NUL (jsonb refuses it). */
const EVENT_ERRORS = ['reserved_type', 'invalid_payload']

/** One event of a request body, checked; `where` names it in messages (`events[3]`). */
function parseEvent(raw: unknown, caller: AccountCaller, where: string): NewEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest('invalid_event', `${where} must be a JSON object`)
  const e = validateObject(NewEventSchema, Object.fromEntries(Object.entries(raw)), where)
  if (RESERVED_EVENT_TYPES.includes(e.type)) throw badRequest('reserved_type', `${where}.type ${JSON.stringify(e.type)} is recorded by the server only`)
  const payload = e.payload ?? {}
  const json = JSON.stringify(payload)
  const size = encoder.encode(json).byteLength
  if (size > MAX_EVENT_PAYLOAD_BYTES) throw badRequest('invalid_payload', `${where}.payload is ${size} bytes as JSON; at most ${MAX_EVENT_PAYLOAD_BYTES}`)
  // Postgres jsonb cannot hold \u0000 in strings: refuse it here rather than fail the insert.
  if (json.includes('\\u0000')) throw badRequest('invalid_payload', `${where}.payload must not contain NUL characters`)
  return {
    user_id: caller.account.id,
    session_id: caller.credential.kind === 'session' ? caller.credential.id : null,
    type: e.type,
    payload,
  }
}

// The module's public face, besides its routes: what the admin module may use of events.
export { EVENT_TYPE, EventSchema } from './model.ts'
export type { EventService } from './service.ts'

/** Bytes an event costs against the daily budget: its type and its payload as JSON. */
const storedBytes = (events: readonly NewEvent[]) => events.reduce((sum, e) => sum + encoder.encode(e.type).byteLength + encoder.encode(JSON.stringify(e.payload)).byteLength, 0)

/** Charges a user's daily event bytes: a 429 response to send instead, or undefined (src/http/daily-budget.ts). */
export type EventBudget = (userId: string, bytes: number) => Promise<Response | undefined>

export function eventRoutes(deps: { usageEvents: EventService; auth: Identity; eventBudget: EventBudget }) {
  const { usageEvents: service } = deps
  return new Elysia({ name: 'events' })
    .post(
      '/events',
      async (ctx) => {
        const caller = await deps.auth.requireAccount(ctx, 'write')
        const event = parseEvent(await readJsonObject(ctx.request, MAX_EVENT_BODY_BYTES), caller, 'event')
        const refused = await deps.eventBudget(caller.account.id, storedBytes([event]))
        if (refused) return refused
        const stored = await service.record(event)
        return ctx.status(201, stored)
      },
      {
        parse: 'none',
        detail: operation({
          tags: ['events'],
          summary: 'Record a usage event for the caller',
          description:
            `Needs a signed-in caller (\`write\` scope). \`payload\` is any JSON object up to ${MAX_EVENT_PAYLOAD_BYTES} bytes. ` +
            'Each user may store EVENTS_DAILY_BYTES bytes of events (type and payload as JSON) per UTC day; past it, 429 `rate_limited` until midnight UTC.',
          access: 'account',
          body: { schema: NewEventSchema, maxBytes: MAX_EVENT_BODY_BYTES },
          ok: { 201: EventSchema },
          errors: { 400: EVENT_ERRORS },
        }),
      },
    )
    .post(
      '/events/batch',
      async (ctx) => {
        const caller = await deps.auth.requireAccount(ctx, 'write')
        const { events: list } = validateObject(EventBatchEnvelope, await readJsonObject(ctx.request, MAX_BATCH_BODY_BYTES))
        // All or nothing: every event is checked before any is stored.
        const events = list.map((e, i) => parseEvent(e, caller, `events[${i}]`))
        const refused = await deps.eventBudget(caller.account.id, storedBytes(events))
        if (refused) return refused
        const stored = await service.recordBatch(events)
        return ctx.status(201, { recorded: stored.length, ids: stored.map((e) => e.id) })
      },
      {
        parse: 'none',
        detail: operation({
          tags: ['events'],
          summary: `Record up to ${MAX_BATCH_EVENTS} usage events at once`,
          description:
            'Every event is validated first; one bad event rejects the batch (the message names it, e.g. `events[3].type`). One INSERT stores them all. ' +
            'The batch counts against the daily byte budget of POST /events as a whole: all of it is stored, or none (429).',
          access: 'account',
          body: { schema: EventBatchSchema, maxBytes: MAX_BATCH_BODY_BYTES },
          ok: { 201: BatchResultSchema },
          // Each event's own checks, named after its field.
          errors: { 400: ['invalid_event', 'invalid_type', 'unknown_field', 'missing_field', ...EVENT_ERRORS] },
        }),
      },
    )
}
