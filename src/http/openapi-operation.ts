import { Kind, type TObject, type TSchema } from '@sinclair/typebox'
import type { DocumentDecoration } from 'elysia'
import type { OpenAPIV3 } from 'openapi-types'
import { bearerChallenge } from './errors.ts'
import { JSON_BODY_ERRORS } from './json-body.ts'
import { openApiSchema } from './openapi-schema.ts'
import { MAX_REQUEST_ID_CHARS } from './request-id.ts'

// A route's OpenAPI operation, declared beside the route from its model.ts schemas: parameters,
// request body, responses and the error codes each status can carry (enumerated, so a client can
// switch on them), and the credentials it takes. Body errors follow from the body schema (the
// reader and validator produce them: src/http/json-body.ts, src/http/validate.ts), credential
// errors from `auth` (src/modules/auth/identity.ts is their one source).

/** Security scheme names, as in components.securitySchemes (src/http/openapi-document.ts). */
export const SCHEMES = {
  bearer: 'apiKeyBearer',
  header: 'apiKeyHeader',
  cookie: 'sessionCookie',
  admin: 'adminToken',
  metrics: 'metricsToken',
} as const

/**
 * Who may call: `user` any signed-in caller (API key, session, and the admin token too); `account`
 * a caller with an account (the admin token has none); `admin` an admin user or the admin token;
 * `metrics` the METRICS_TOKEN when set.
 */
export type Access = 'public' | 'user' | 'account' | 'admin' | 'metrics'

/** Any one of the schemes will do (OpenAPI: alternatives are separate requirement objects). */
const anyOf = (...names: string[]): OpenAPIV3.SecurityRequirementObject[] => names.map((name) => ({ [name]: [] }))
const USER = [SCHEMES.bearer, SCHEMES.header, SCHEMES.cookie]
const SECURITY: Record<Access, OpenAPIV3.SecurityRequirementObject[]> = {
  // Said outright: no credential needed (rather than "not documented").
  public: [],
  user: anyOf(...USER, SCHEMES.admin),
  account: anyOf(...USER),
  admin: anyOf(SCHEMES.admin, ...USER),
  metrics: anyOf(SCHEMES.metrics),
}

const CREDENTIAL_401 = ['unauthorized', 'invalid_token', 'token_expired', 'token_revoked']
const ACCESS_ERRORS: Record<Access, Record<number, readonly string[]>> = {
  public: {},
  user: { 401: CREDENTIAL_401, 403: ['insufficient_scope'] },
  account: { 401: CREDENTIAL_401, 403: ['insufficient_scope', 'no_account'] },
  admin: { 401: CREDENTIAL_401, 403: ['forbidden', 'insufficient_scope'] },
  metrics: { 401: ['unauthorized'] },
}

/** A response that is not a JSON schema: a redirect, a file, no content. */
export interface RawResponse {
  description: string
  content?: Record<string, { schema: OpenAPIV3.SchemaObject }>
  headers?: Record<string, OpenAPIV3.HeaderObject>
}

export interface OperationSpec {
  tags: string[]
  summary: string
  description?: string
  access?: Access
  params?: TObject
  query?: TObject
  body?: {
    schema: TObject
    maxBytes: number
    required?: boolean
    description?: string
    /** Further media types the route reads itself (e.g. text/vtt). */
    media?: Record<string, { schema: OpenAPIV3.SchemaObject }>
    /** The 400 codes of a body read by its own parser rather than src/http/json-body.ts. */
    codes?: readonly string[]
  }
  /** Success responses: a schema of the JSON, or a raw response. */
  ok: Record<number, TSchema | RawResponse>
  /** Error codes per status beyond those of `access` and `body`. */
  errors?: Record<number, readonly string[]>
  /** Answers without the database (so never 503 `database_unavailable`). */
  noDatabase?: boolean
}

const isRaw = (r: TSchema | RawResponse): r is RawResponse => !(Kind in r)

/** Headers every response carries (src/http/edge.ts): documented on each, from here. */
const EVERY_RESPONSE_HEADERS: Record<string, OpenAPIV3.HeaderObject> = {
  'X-Request-Id': {
    description: `the request's id: the request's own \`X-Request-Id\` when it has one of at most ${MAX_REQUEST_ID_CHARS} characters of [A-Za-z0-9._:-], else a new one; in the server's log lines of the request`,
    schema: { type: 'string', maxLength: MAX_REQUEST_ID_CHARS },
  },
}
const UNAUTHORIZED_HEADERS: Record<string, OpenAPIV3.HeaderObject> = {
  'WWW-Authenticate': {
    description: `\`${bearerChallenge(false)}\` when no credential was sent; \`${bearerChallenge(true)}\` when the one sent was not accepted`,
    schema: { type: 'string' },
  },
}

/** `response` with the headers every response carries, and a 401's challenge. */
export function withResponseHeaders(status: string, response: OpenAPIV3.ResponseObject): OpenAPIV3.ResponseObject {
  return { ...response, headers: { ...response.headers, ...(status === '401' ? UNAUTHORIZED_HEADERS : {}), ...EVERY_RESPONSE_HEADERS } }
}

/** An error response whose `error.code` is one of `codes`, enumerated. */
export function errorResponse(status: number, codes: readonly string[]): OpenAPIV3.ResponseObject {
  const unique = [...new Set(codes)].sort()
  return {
    description: `\`${unique.join('`, `')}\``,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['error'],
          additionalProperties: false,
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              additionalProperties: false,
              properties: { code: { type: 'string', enum: unique }, message: { type: 'string', description: 'what went wrong, for people' } },
            },
          },
        },
        example: { error: { code: unique[0] ?? 'error', message: `HTTP ${status}` } },
      },
    },
  }
}

/** The codes a body schema's validation can yield (src/http/validate.ts), beyond JSON_BODY_ERRORS. */
function bodyFieldCodes(schema: TObject): string[] {
  const codes: string[] = []
  if (schema.additionalProperties === false) codes.push('unknown_field')
  if ((schema.required ?? []).length > 0) codes.push('missing_field')
  for (const [name, field] of Object.entries(schema.properties)) codes.push(typeof field.errorCode === 'string' ? field.errorCode : `invalid_${name}`)
  if (typeof schema.minProperties === 'number') codes.push(typeof schema.errorCode === 'string' ? schema.errorCode : 'invalid_body')
  return codes
}

function parameters(where: 'path' | 'query', schema: TObject | undefined): OpenAPIV3.ParameterObject[] {
  if (!schema) return []
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties).map(([name, field]) => {
    const { description, ...rest } = openApiSchema(field)
    return { name, in: where, required: where === 'path' || required.has(name), ...(description === undefined ? {} : { description }), schema: rest }
  })
}

/** The `detail` of a route: its whole OpenAPI operation. */
export function operation(spec: OperationSpec): DocumentDecoration {
  const access = spec.access ?? 'public'
  const errors = new Map<number, string[]>()
  const add = (byStatus: Record<number, readonly string[]>) => {
    for (const [status, codes] of Object.entries(byStatus)) errors.set(Number(status), [...(errors.get(Number(status)) ?? []), ...codes])
  }
  add(ACCESS_ERRORS[access])
  if (spec.body) add({ ...JSON_BODY_ERRORS, 400: spec.body.codes ?? [...JSON_BODY_ERRORS[400], ...bodyFieldCodes(spec.body.schema)] })
  if (spec.errors) add(spec.errors)
  if (!spec.noDatabase) add({ 503: ['database_unavailable'] })

  const responses: OpenAPIV3.ResponsesObject = {}
  for (const [status, r] of Object.entries(spec.ok)) {
    if (isRaw(r)) {
      responses[status] = r
      continue
    }
    const schema = openApiSchema(r)
    responses[status] = { description: schema.description ?? schema.title ?? `HTTP ${status}`, content: { 'application/json': { schema } } }
  }
  for (const [status, codes] of [...errors].sort(([a], [b]) => a - b)) responses[String(status)] = errorResponse(status, codes)
  for (const [status, response] of Object.entries(responses)) responses[status] = withResponseHeaders(status, response as OpenAPIV3.ResponseObject)

  const body = spec.body
  return {
    tags: spec.tags,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    parameters: [...parameters('path', spec.params), ...parameters('query', spec.query)],
    ...(body
      ? {
          requestBody: {
            required: body.required ?? true,
            description: body.description ?? `JSON, at most ${body.maxBytes} bytes; unknown fields are a 400 \`unknown_field\`.`,
            content: { 'application/json': { schema: openApiSchema(body.schema) }, ...body.media },
          },
        }
      : {}),
    responses,
    security: SECURITY[access],
  }
}
