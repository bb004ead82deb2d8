import { type Static, Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { AccountSchema, PLANS, ROLES, SCOPES } from '../../http/caller.ts'
import { OneOf } from '../../http/one-of.ts'
import { PageSchema } from '../../http/pagination.ts'
import { Text } from '../../http/text.ts'

// The /auth routes' schemas and limits: the single source of their validation, types and OpenAPI components.

export const MAX_KEY_NAME = 100
export const MAX_KEY_DAYS = 3650
export const MAX_KEY_BODY_BYTES = 4096

export const KEYS_DEFAULT_LIMIT = 50
export const KEYS_MAX_LIMIT = 200

export const ProviderParams = t.Object({ provider: t.String({ description: 'oidc, google or twitch (when configured)', examples: ['google'] }) })

export const LoginQuery = t.Object({
  return_to: t.Optional(t.String({ description: 'same-origin path to land on after sign-in (default /)', examples: ['/favorites'] })),
})

export const CallbackQuery = t.Object({
  code: t.Optional(t.String()),
  state: t.Optional(t.String()),
  iss: t.Optional(t.String()),
  error: t.Optional(t.String()),
  error_description: t.Optional(t.String()),
})

export const LogoutQuery = t.Object({
  everywhere: t.Optional(t.String({ description: '`true` ends every session of the user, on every device', examples: ['true'] })),
})

export const MeSchema = t.Object(
  {
    user: t.Nullable(AccountSchema, { description: 'null for the ADMIN_TOKEN bootstrap credential' }),
    role: OneOf(ROLES),
    plan: OneOf(PLANS),
    credential: t.Object({
      kind: OneOf(['session', 'api_key', 'admin_token']),
      expires_at: t.Nullable(t.String({ format: 'date-time' })),
      key_prefix: t.Optional(t.String({ examples: ['ta_AbCd1234'] })),
      scopes: t.Array(OneOf(SCOPES)),
    }),
    usage: t.Object({
      date: t.String({ format: 'date', description: 'the UTC day counted' }),
      resets_at: t.String({ format: 'date-time' }),
      exports: t.Object({
        used: Type.Integer(),
        limit: t.Nullable(Type.Integer({ description: 'null: no limit (pro, admin)' })),
        remaining: t.Nullable(Type.Integer()),
      }),
      searches: t.Object({ used: Type.Integer({ description: 'signed-in searches (recorded within about a second)' }) }),
      jobs: t.Object({
        used: Type.Integer({ description: 'new transcription jobs created today' }),
        limit: t.Nullable(Type.Integer({ description: 'null: no limit (pro, admin)' })),
        remaining: t.Nullable(Type.Integer()),
      }),
    }),
  },
  { title: 'Me' },
)

export const ApiKeySchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    key_prefix: t.String({ description: 'the first characters of the key, for recognising it', examples: ['ta_AbCd1234'] }),
    name: t.Nullable(t.String({ examples: ['laptop script'] })),
    scopes: t.Array(OneOf(SCOPES)),
    created_at: t.String({ format: 'date-time' }),
    last_used_at: t.Nullable(t.String({ format: 'date-time', description: 'updated at most once a minute' })),
    expires_at: t.Nullable(t.String({ format: 'date-time' })),
    revoked_at: t.Nullable(t.String({ format: 'date-time' })),
  },
  { title: 'ApiKey' },
)

export type ApiKeyView = Static<typeof ApiKeySchema>

export const NewApiKeySchema = t.Object(
  { ...ApiKeySchema.properties, key: t.String({ description: 'the key itself: shown this once, never again', examples: ['ta_AbCd1234…'] }) },
  { title: 'NewApiKey' },
)

export const ApiKeyPageSchema = PageSchema(ApiKeySchema, 'ApiKeyPage')

export const KeysQuery = t.Object({
  limit: t.Optional(Type.Integer({ minimum: 1, maximum: KEYS_MAX_LIMIT, default: KEYS_DEFAULT_LIMIT, description: `1..${KEYS_MAX_LIMIT}, default ${KEYS_DEFAULT_LIMIT}` })),
  cursor: t.Optional(t.String({ description: 'page_info.next_cursor of the previous page' })),
})

export const KeyIdParams = t.Object({ id: t.String({ format: 'uuid', description: 'API key id (UUID)' }) })

export const NewApiKeyRequestSchema = t.Object(
  {
    name: t.Optional(t.Nullable(Text({ maxLength: MAX_KEY_NAME }, { examples: ['laptop script'] }))),
    scopes: t.Optional(
      t.Nullable(
        t.Array(OneOf(SCOPES), {
          minItems: 1,
          description: 'default: every scope you hold except admin; you can grant only scopes you hold',
          examples: [['read', 'export']],
        }),
      ),
    ),
    expires_in_days: t.Optional(t.Nullable(Type.Integer({ minimum: 1, maximum: MAX_KEY_DAYS, description: 'default: never expires' }))),
  },
  { title: 'NewApiKeyRequest', additionalProperties: false },
)

export type NewApiKeyRequest = Static<typeof NewApiKeyRequestSchema>
