import * as client from 'openid-client'
import type { Config } from '../../config.ts'
import { HttpError } from '../../http/errors.ts'
import type { OAuthProfile } from './service.ts'

// Sign-in providers: OpenID Connect authorization code flow with PKCE (S256), state and nonce,
// through openid-client. Each provider is enabled by its env variables; its metadata is discovered
// on first use (not at startup: a provider that is down must not stop the server) and kept.

export const PROVIDER_NAMES = ['oidc', 'google', 'twitch'] as const
export type ProviderName = (typeof PROVIDER_NAMES)[number]

export interface ProviderSpec {
  name: ProviderName
  issuer: URL
  clientId: string
  clientSecret: string
  scope: string
  /** Extra authorization request parameters (Twitch asks for its email claim this way). */
  extra: Record<string, string>
}

const TWITCH_CLAIMS = JSON.stringify({
  id_token: { email: null, email_verified: null, preferred_username: null, picture: null },
  userinfo: { email: null, email_verified: null, preferred_username: null, picture: null },
})

/** The providers the configuration enables (config validation guarantees complete sets). */
export function configuredProviders(config: Config): Map<ProviderName, ProviderSpec> {
  const out = new Map<ProviderName, ProviderSpec>()
  if (config.OIDC_ISSUER_URL && config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET) {
    out.set('oidc', {
      name: 'oidc',
      issuer: new URL(config.OIDC_ISSUER_URL),
      clientId: config.OIDC_CLIENT_ID,
      clientSecret: config.OIDC_CLIENT_SECRET,
      scope: 'openid email profile',
      extra: {},
    })
  }
  if (config.GOOGLE_CLIENT_ID && config.GOOGLE_CLIENT_SECRET) {
    out.set('google', {
      name: 'google',
      issuer: new URL('https://accounts.google.com'),
      clientId: config.GOOGLE_CLIENT_ID,
      clientSecret: config.GOOGLE_CLIENT_SECRET,
      scope: 'openid email profile',
      extra: {},
    })
  }
  if (config.TWITCH_CLIENT_ID && config.TWITCH_CLIENT_SECRET) {
    out.set('twitch', {
      name: 'twitch',
      issuer: new URL('https://id.twitch.tv/oauth2'),
      clientId: config.TWITCH_CLIENT_ID,
      clientSecret: config.TWITCH_CLIENT_SECRET,
      scope: 'openid user:read:email',
      extra: { claims: TWITCH_CLAIMS },
    })
  }
  return out
}

/** 127.0.0.0/8, ::1 and localhost: the only places plain-http issuers are accepted (local test providers). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

export interface LoginChecks {
  state: string
  nonce: string
  verifier: string
}

/** Fresh state, nonce and PKCE verifier for one sign-in. */
export function newLoginChecks(): LoginChecks {
  return { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null)

function signInError(err: unknown): HttpError {
  if (err instanceof HttpError) return err
  if (err instanceof client.AuthorizationResponseError) {
    return new HttpError(400, 'sign_in_denied', `the provider answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`)
  }
  if (err instanceof client.ResponseBodyError) {
    const what = `the provider refused the code exchange: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`
    return new HttpError(err.status >= 500 ? 502 : 400, err.status >= 500 ? 'provider_unavailable' : 'sign_in_failed', what)
  }
  // openid-client's own checks (ID token signature, issuer, audience, nonce, …) carry an OAUTH_* code.
  const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : ''
  if (code.startsWith('OAUTH_')) return new HttpError(400, 'sign_in_failed', `the provider's answer failed a check: ${(err as Error).message}`)
  return new HttpError(502, 'provider_unavailable', 'the sign-in provider could not be reached; try again shortly')
}

export class OidcProviders {
  private readonly configurations = new Map<ProviderName, Promise<client.Configuration>>()

  constructor(
    readonly specs: ReadonlyMap<ProviderName, ProviderSpec>,
    private readonly publicBaseUrl: string,
  ) {}

  /** The spec of an enabled provider, or a 404 (unknown and unconfigured look the same). */
  spec(name: string): ProviderSpec {
    const spec = this.specs.get(name as ProviderName)
    if (!spec) {
      const enabled = [...this.specs.keys()]
      throw new HttpError(404, 'provider_not_found', `no sign-in provider ${JSON.stringify(name)}; enabled: ${enabled.length ? enabled.join(', ') : 'none'}`)
    }
    return spec
  }

  redirectUri(name: ProviderName): string {
    return `${this.publicBaseUrl.replace(/\/+$/, '')}/auth/callback/${name}`
  }

  async authorizationUrl(spec: ProviderSpec, checks: LoginChecks): Promise<URL> {
    const config = await this.configuration(spec)
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(spec.name),
      scope: spec.scope,
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      ...spec.extra,
    })
  }

  /** Exchanges the code (PKCE, state, nonce and ID token checked) and returns who signed in. */
  async exchange(spec: ProviderSpec, callbackUrl: URL, checks: LoginChecks): Promise<{ subject: string; profile: OAuthProfile }> {
    try {
      const config = await this.configuration(spec)
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
      })
      const claims = tokens.claims()
      if (!claims) throw new HttpError(502, 'sign_in_failed', 'the provider returned no ID token')
      let info: Record<string, unknown> = { ...claims }
      // Many providers put email and name in userinfo only; best effort, the ID token suffices.
      if (config.serverMetadata().userinfo_endpoint) {
        try {
          info = { ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)), ...stripEmpty(info) }
        } catch {
          // keep the ID token's claims
        }
      }
      return {
        subject: claims.sub,
        profile: {
          email: str(info.email),
          name: str(info.name) ?? str(info.preferred_username) ?? str(info.nickname),
          avatar_url: str(info.picture),
        },
      }
    } catch (err) {
      throw signInError(err)
    }
  }

  /** Discovery, once per provider; a failure is not kept, so the next sign-in tries again. */
  private configuration(spec: ProviderSpec): Promise<client.Configuration> {
    let found = this.configurations.get(spec.name)
    if (!found) {
      // openid-client refuses plain http; config validation allows it only for loopback issuers.
      const insecure = spec.issuer.protocol === 'http:' && isLoopbackHost(spec.issuer.hostname)
      found = client
        .discovery(spec.issuer, spec.clientId, spec.clientSecret, client.ClientSecretPost(spec.clientSecret), {
          execute: insecure ? [client.allowInsecureRequests] : [],
          timeout: 10,
        })
        .catch((err: unknown) => {
          this.configurations.delete(spec.name)
          throw new HttpError(502, 'provider_unavailable', `could not read the ${spec.name} provider's OpenID configuration: ${err instanceof Error ? err.message : String(err)}`)
        })
      this.configurations.set(spec.name, found)
    }
    return found
  }
}

function stripEmpty(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== ''))
}
