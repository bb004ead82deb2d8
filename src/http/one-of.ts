import { t } from 'elysia'

// One of a few strings. Elysia's UnionEnum gives itself the first value as a `default` (for its own
// error messages, which we do not use): the OpenAPI document would show a default the API does not
// apply (`state` defaulting to `pending`). A real default is passed in `options`.

export const OneOf = <const V extends readonly [string, ...string[]]>(values: V, options: { default?: V[number]; description?: string; examples?: V[number][] } = {}) =>
  t.UnionEnum(values, { default: undefined, ...options })
