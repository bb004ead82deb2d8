import { t } from 'elysia'
import { ErrorSchema } from '../../http/errors.ts'
import { PLANS, ROLES, SCOPES } from '../../http/caller.ts'

// OpenAPI schemas and limits of the /auth routes.

export const MAX_KEY_NAME = 100
export const MAX_KEY_DAYS = 3650
export const MAX_KEY_BODY_BYTES = 4096

export const errorSchema = (description: string) => t.Object(ErrorSchema.properties, { description })

export const AUTH_ERRORS = {
  401: errorSchema('`unauthorized` (no credential), `invalid_token` (unknown, malformed or signed out), `token_expired` or `token_revoked`'),
  403: errorSchema('`insufficient_scope`, or `no_account` for ADMIN_TOKEN'),
}

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

export const AccountSchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    email: t.Nullable(t.String({ examples: ['ada@example.com'] })),
    name: t.Nullable(t.String({ examples: ['Ada'] })),
    avatar_url: t.Nullable(t.String()),
    role: t.UnionEnum([...ROLES]),
    plan: t.UnionEnum([...PLANS]),
    created_at: t.String({ format: 'date-time' }),
  },
  { title: 'Account' },
)

export const MeSchema = t.Object(
  {
    user: t.Nullable(AccountSchema, { description: 'null for the ADMIN_TOKEN bootstrap credential' }),
    role: t.UnionEnum([...ROLES]),
    plan: t.UnionEnum([...PLANS]),
    credential: t.Object({
      kind: t.UnionEnum(['session', 'api_key', 'admin_token']),
      expires_at: t.Nullable(t.String({ format: 'date-time' })),
      key_prefix: t.Optional(t.String({ examples: ['ta_AbCd1234'] })),
      scopes: t.Array(t.UnionEnum([...SCOPES])),
    }),
    usage: t.Object({
      date: t.String({ format: 'date', description: 'the UTC day counted' }),
      resets_at: t.String({ format: 'date-time' }),
      exports: t.Object({
        used: t.Integer(),
        limit: t.Nullable(t.Integer({ description: 'null: no limit (pro, admin)' })),
        remaining: t.Nullable(t.Integer()),
      }),
      searches: t.Object({ used: t.Integer({ description: 'signed-in searches (recorded within about a second)' }) }),
    }),
  },
  { title: 'Me' },
)

export const ApiKeySchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    key_prefix: t.String({ description: 'the first characters of the key, for recognising it', examples: ['ta_AbCd1234'] }),
    name: t.Nullable(t.String({ examples: ['laptop script'] })),
    scopes: t.Array(t.UnionEnum([...SCOPES])),
    created_at: t.String({ format: 'date-time' }),
    last_used_at: t.Nullable(t.String({ format: 'date-time', description: 'updated at most once a minute' })),
    expires_at: t.Nullable(t.String({ format: 'date-time' })),
    revoked_at: t.Nullable(t.String({ format: 'date-time' })),
  },
  { title: 'ApiKey' },
)

export const NewApiKeySchema = t.Object(
  { ...ApiKeySchema.properties, key: t.String({ description: 'the key itself: shown this once, never again', examples: ['ta_AbCd1234…'] }) },
  { title: 'NewApiKey' },
)

export const ApiKeyListSchema = t.Object({ items: t.Array(ApiKeySchema) }, { title: 'ApiKeyList' })

export const KeyIdParams = t.Object({ id: t.String({ description: 'API key id (UUID)' }) })

export const createKeyRequestBody = {
  required: false,
  content: {
    'application/json': {
      schema: t.Object(
        {
          name: t.Optional(t.Nullable(t.String({ maxLength: MAX_KEY_NAME, examples: ['laptop script'] }))),
          scopes: t.Optional(
            t.Array(t.UnionEnum([...SCOPES]), {
              description: 'default: every scope you hold except admin; you can grant only scopes you hold',
              examples: [['read', 'export']],
            }),
          ),
          expires_in_days: t.Optional(t.Nullable(t.Integer({ minimum: 1, maximum: MAX_KEY_DAYS, description: 'default: never expires' }))),
        },
        { title: 'NewApiKeyRequest', additionalProperties: false },
      ) as unknown as Record<string, unknown>,
    },
  },
}
