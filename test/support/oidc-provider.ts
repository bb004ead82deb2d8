import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

// A real OpenID Provider (the `oidc-provider` package) on 127.0.0.1 with a random port, for
// sign-in tests. Its login step is automated: whoever `nextAccount` names signs in, and consent is
// granted, so the authorization endpoint redirects straight back to the app with a code.

export interface TestProvider {
  issuer: string
  clientId: string
  clientSecret: string
  /** The account the next sign-in logs in as (its email is `<account>@example.test`). */
  nextAccount: string
  close(): Promise<void>
}

/** oidc-provider prints notices meant for production setups (runtime, in-memory adapter): not for tests. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const [warn, info] = [console.warn, console.info]
  console.warn = () => {}
  console.info = () => {}
  try {
    return await fn()
  } finally {
    console.warn = warn
    console.info = info
  }
}

export async function startOidcProvider(options: { redirectUris: string[]; clientId?: string; clientSecret?: string }): Promise<TestProvider> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const clientId = options.clientId ?? 'transcript-api-test'
  const clientSecret = options.clientSecret ?? 'a-test-client-secret-of-some-length'
  const signingKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }

  const state: TestProvider = {
    issuer,
    clientId,
    clientSecret,
    nextAccount: 'alice',
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }

  const provider = await quietly(async () => {
    const { default: Provider } = await import('oidc-provider')
    return new Provider(issuer, {
      clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: options.redirectUris, token_endpoint_auth_method: 'client_secret_post' }],
      jwks: { keys: [signingKey] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
      findAccount: (_ctx, id) => ({
        accountId: id,
        claims: () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: `User ${id}` }),
      }),
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
      // Consent is implied: the test client gets the scopes it asks for.
      loadExistingGrant: async (ctx) => {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client?.clientId, accountId: ctx.oidc.session?.accountId })
        grant.addOIDCScope('openid email profile')
        await grant.save()
        return grant
      },
    })
  })
  const handle = provider.callback()
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      // The login page, automated: sign in as nextAccount.
      void provider.interactionFinished(req, res, { login: { accountId: state.nextAccount } }, { mergeWithLastSubmission: false })
      return
    }
    void handle(req, res)
  })
  return state
}

/** A cookie jar for one host, enough to follow the provider's redirects. */
export class CookieJar {
  private readonly cookies = new Map<string, string>()

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

/**
 * Follows redirects at the provider (with its own cookies) until one leads back to `appOrigin`;
 * returns that URL: the app's callback with `code` and `state`.
 */
export async function followProvider(start: string, appOrigin: string): Promise<URL> {
  const jar = new CookieJar()
  let url = start
  for (let hops = 0; hops < 10; hops++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } })
    jar.store(res)
    const location = res.headers.get('location')
    if (!location) throw new Error(`the provider answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`)
    const next = new URL(location, url)
    if (next.origin === appOrigin) return next
    url = next.href
  }
  throw new Error('too many redirects at the provider')
}
