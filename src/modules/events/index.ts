import { Elysia } from 'elysia'
import { badRequest } from '../../http/errors.ts'
import { documentedResponses } from '../../http/openapi.ts'
import type { AccountCaller, Identity } from '../../http/caller.ts'
import { readJsonObject, rejectUnknownFields } from '../../http/json-body.ts'
import {
  BatchResultSchema,
  batchRequestBody,
  errorSchema,
  EVENT_TYPE,
  EventSchema,
  eventRequestBody,
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_EVENTS,
  MAX_EVENT_BODY_BYTES,
  MAX_EVENT_PAYLOAD_BYTES,
} from './model.ts'
import { RESERVED_EVENT_TYPES, type NewEvent } from './queries.ts'
import type { EventService } from './service.ts'

// POST /events and POST /events/batch: usage events recorded for the signed-in caller.

const encoder = new TextEncoder()

/** One event of a request body, checked; `where` names it in messages (`events[3]`). */
function parseEvent(raw: unknown, caller: AccountCaller, where: string): NewEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest('invalid_event', `${where} must be a JSON object`)
  const e = raw as Record<string, unknown>
  rejectUnknownFields(e, ['type', 'payload'], where)
  if (typeof e.type !== 'string' || !EVENT_TYPE.test(e.type)) {
    throw badRequest('invalid_type', `${where}.type must be 1 to 64 characters: a lower-case letter, then letters, digits, _ . : or -`)
  }
  if (RESERVED_EVENT_TYPES.includes(e.type)) throw badRequest('reserved_type', `${where}.type ${JSON.stringify(e.type)} is recorded by the server only`)
  const payload = e.payload ?? {}
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw badRequest('invalid_payload', `${where}.payload must be a JSON object`)
  const size = encoder.encode(JSON.stringify(payload)).byteLength
  if (size > MAX_EVENT_PAYLOAD_BYTES) throw badRequest('invalid_payload', `${where}.payload is ${size} bytes as JSON; at most ${MAX_EVENT_PAYLOAD_BYTES}`)
  // Postgres jsonb cannot hold \u0000 in strings: refuse it here rather than fail the insert.
  if (JSON.stringify(payload).includes('\\u0000')) throw badRequest('invalid_payload', `${where}.payload must not contain NUL characters`)
  return {
    user_id: caller.account.id,
    session_id: caller.credential.kind === 'session' ? caller.credential.id : null,
    type: e.type,
    payload: payload as Record<string, unknown>,
  }
}

// The module's public face, besides its routes: what the admin module may use of events.
export { EVENT_TYPE, EventSchema } from './model.ts'
export type { EventService } from './service.ts'

export function eventRoutes(deps: { usageEvents: EventService; auth: Identity }) {
  const { usageEvents: service } = deps
  return new Elysia({ name: 'events' })
    .post(
      '/events',
      async (ctx) => {
        const caller = await deps.auth.requireAccount(ctx, 'write')
        const body = await readJsonObject(ctx.request, MAX_EVENT_BODY_BYTES)
        const event = parseEvent(body, caller, 'event')
        const stored = await service.record(event)
        return ctx.status(201, stored)
      },
      {
        parse: 'none',
        detail: {
          tags: ['events'],
          summary: 'Record a usage event for the caller',
          description: `Needs a signed-in caller (\`write\` scope). \`payload\` is any JSON object up to ${MAX_EVENT_PAYLOAD_BYTES} bytes.`,
          requestBody: eventRequestBody,
          responses: documentedResponses({
            201: EventSchema,
            400: errorSchema('`invalid_json`, `invalid_unicode`, `invalid_body`, `unknown_field`, `invalid_type`, `reserved_type` or `invalid_payload`'),
            401: errorSchema('`unauthorized`, `invalid_token`, `token_expired` or `token_revoked`'),
            403: errorSchema('`insufficient_scope` or `no_account` (ADMIN_TOKEN)'),
            413: errorSchema('`payload_too_large`'),
          }),
        },
      },
    )
    .post(
      '/events/batch',
      async (ctx) => {
        const caller = await deps.auth.requireAccount(ctx, 'write')
        const body = await readJsonObject(ctx.request, MAX_BATCH_BODY_BYTES)
        rejectUnknownFields(body, ['events'])
        const list = body.events
        if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_EVENTS) {
          throw badRequest('invalid_batch', `events must be an array of 1 to ${MAX_BATCH_EVENTS} events`)
        }
        // All or nothing: every event is checked before any is stored.
        const events = list.map((e, i) => parseEvent(e, caller, `events[${i}]`))
        const stored = await service.recordBatch(events)
        return ctx.status(201, { recorded: stored.length, ids: stored.map((e) => e.id) })
      },
      {
        parse: 'none',
        detail: {
          tags: ['events'],
          summary: `Record up to ${MAX_BATCH_EVENTS} usage events at once`,
          description: 'Every event is validated first; one bad event rejects the batch (the message names it, e.g. `events[3].type`). One INSERT stores them all.',
          requestBody: batchRequestBody,
          responses: documentedResponses({
            201: BatchResultSchema,
            400: errorSchema('`invalid_json`, `invalid_unicode`, `invalid_batch`, `invalid_event`, `unknown_field`, `invalid_type`, `reserved_type` or `invalid_payload`'),
            401: errorSchema('`unauthorized`, `invalid_token`, `token_expired` or `token_revoked`'),
            403: errorSchema('`insufficient_scope` or `no_account` (ADMIN_TOKEN)'),
            413: errorSchema('`payload_too_large`'),
          }),
        },
      },
    )
}
