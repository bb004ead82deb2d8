import { type Static } from '@sinclair/typebox'
import { t } from 'elysia'
import { OneOf } from './one-of.ts'

// Who is calling, as every route that needs it sees it: the roles, plans and scopes of accounts,
// the credential a request presented, and the identity resolver's contract. The auth module
// implements Identity (src/modules/auth/identity.ts); createApp hands it to the modules that need
// a caller, which so depend on this contract and never on the auth module itself.

export const ROLES = ['user', 'admin'] as const
export type Role = (typeof ROLES)[number]
export const PLANS = ['free', 'pro'] as const
export type Plan = (typeof PLANS)[number]
/** What a credential may do: read (GET), write (favorites, events, keys), export (.srt/.vtt), admin. */
export const SCOPES = ['read', 'write', 'export', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** Scopes a role can hold at all; a credential's own scopes are cut down to these. */
export const scopesOfRole = (role: Role): readonly Scope[] => (role === 'admin' ? SCOPES : SCOPES.filter((s) => s !== 'admin'))

/** An account as every route shows it (GET /auth/me, admin lists): its schema is its type. */
export const AccountSchema = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    email: t.Nullable(t.String({ examples: ['ada@example.com'] })),
    name: t.Nullable(t.String({ examples: ['Ada'] })),
    avatar_url: t.Nullable(t.String()),
    role: OneOf(ROLES),
    plan: OneOf(PLANS),
    created_at: t.String({ format: 'date-time' }),
  },
  { title: 'Account' },
)

export type Account = Static<typeof AccountSchema>

export type Credential =
  | { kind: 'session'; id: string; hash: string; expiresAt: string; viaCookie: boolean }
  | { kind: 'api_key'; id: string; hash: string; prefix: string; expiresAt: string | null }
  | { kind: 'admin_token' }

export interface Caller {
  /** The signed-in user; null for the ADMIN_TOKEN bootstrap credential, which has no account. */
  account: Account | null
  role: Role
  plan: Plan
  credential: Credential
  scopes: readonly Scope[]
}

export type AccountCaller = Caller & { account: Account }

/** What a route hands the resolver: the request, and where a refreshed session cookie goes. */
export interface CallerContext {
  request: Request
  set: { headers: Record<string, unknown> }
}

/** Resolves and checks a request's credentials (401 / 403 errors when they do not do). */
export interface Identity {
  /** The signed-in caller holding `scope`. */
  require(ctx: CallerContext, scope: Scope): Promise<Caller>
  /** A caller with an account (not the ADMIN_TOKEN bootstrap credential). */
  requireAccount(ctx: CallerContext, scope: Scope): Promise<AccountCaller>
  /** An admin (role admin, `admin` scope). */
  requireAdmin(ctx: CallerContext): Promise<Caller>
  /** The caller when one is signed in and valid, else undefined; never throws, never refreshes a session. */
  optional(request: Request): Promise<Caller | undefined>
}

/** A caller's usage today against the quotas of its plan (GET /auth/me). */
export interface CallerUsage {
  /** The UTC day counted, YYYY-MM-DD. */
  date: string
  resets_at: string
  exports: { used: number; limit: number | null; remaining: number | null }
  searches: { used: number }
  jobs: { used: number; limit: number | null; remaining: number | null }
}

/** Reads a caller's usage today; the events module implements it, the auth module shows it. */
export type UsageReader = (caller: Caller) => Promise<CallerUsage>
