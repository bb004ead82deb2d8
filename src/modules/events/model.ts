import { type Static, Type } from '@sinclair/typebox'
import { t } from 'elysia'

// The events routes' schemas and limits: the single source of their validation, types and OpenAPI components.

export const MAX_EVENT_PAYLOAD_BYTES = 4096
export const MAX_BATCH_EVENTS = 100
export const MAX_EVENT_BODY_BYTES = MAX_EVENT_PAYLOAD_BYTES + 1024
export const MAX_BATCH_BODY_BYTES = MAX_BATCH_EVENTS * MAX_EVENT_BODY_BYTES
export const EVENT_TYPE = /^[a-z][a-z0-9_.:-]{0,63}$/

export const NewEventSchema = t.Object(
  {
    type: t.String({ pattern: EVENT_TYPE.source, mustBe: '1 to 64 characters: a lower-case letter, then letters, digits, _ . : or -', description: 'lower-case name, 1..64 characters; `export` and `search` are reserved', examples: ['video_viewed'] }),
    payload: t.Optional(t.Record(t.String(), t.Unknown(), { description: `any JSON object up to ${MAX_EVENT_PAYLOAD_BYTES} bytes`, examples: [{ video_id: '5f0c6c1e-8d5a-4f7e-9a43-2b1f0b6c9d10' }] })),
  },
  { title: 'NewEvent', additionalProperties: false },
)

export const EventBatchSchema = t.Object(
  { events: t.Array(NewEventSchema, { minItems: 1, maxItems: MAX_BATCH_EVENTS, errorCode: 'invalid_batch' }) },
  { title: 'EventBatch', additionalProperties: false },
)

/**
 * The batch as first checked: its list, before each event is checked on its own (so a bad event's
 * error names it, `events[3].type`, rather than failing the list as a whole).
 */
export const EventBatchEnvelope = t.Object(
  { events: t.Array(t.Unknown(), { minItems: 1, maxItems: MAX_BATCH_EVENTS, errorCode: 'invalid_batch' }) },
  { additionalProperties: false },
)

export const EventSchema = t.Object(
  {
    id: t.String({ description: 'bigint, as a string', examples: ['1042'] }),
    user_id: t.Nullable(t.String({ format: 'uuid' })),
    session_id: t.Nullable(t.String({ format: 'uuid' })),
    type: t.String({ examples: ['export'] }),
    payload: t.Record(t.String(), t.Unknown()),
    created_at: t.String({ format: 'date-time' }),
  },
  { title: 'Event' },
)

export type StoredEvent = Static<typeof EventSchema>

export const BatchResultSchema = t.Object({ recorded: Type.Integer({ examples: [3] }), ids: t.Array(t.String()) }, { title: 'EventBatchResult' })
