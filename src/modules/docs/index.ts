import { Elysia } from 'elysia'
import { IMMUTABLE_ASSET } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import swaggerCssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import swaggerPackage from 'swagger-ui-dist/package.json' with { type: 'json' }
import type { Config } from '../../config.ts'
import { openApiDocument, serverUrl, type DocumentedRoute } from '../../http/openapi-document.ts'
import { ReadyResponse } from '../../http/ready-response.ts'
import { APP_VERSION } from '../../version.ts'
import { swaggerPage } from './swagger-page.ts'

// Swagger UI served from assets embedded in the binary: it must render on a VM with no internet.
// Asset URLs carry the swagger-ui version, so they can be cached forever.

const ASSET_PREFIX = `/swagger/assets/${swaggerPackage.version}`

/** Read and gzipped once, on first request; served from memory after that. */
function asset(path: string, contentType: string) {
  let ready: Promise<ReadyResponse> | undefined
  return () => (ready ??= Bun.file(path).bytes().then((bytes) => ReadyResponse.fromBytes(200, contentType, new Uint8Array(bytes))))
}

const SPEC_PATH = '/swagger/json'
const TITLE = 'transcript-api'

const { html, contentSecurityPolicy } = swaggerPage({ title: TITLE, cssUrl: `${ASSET_PREFIX}/swagger-ui.css`, bundleUrl: `${ASSET_PREFIX}/swagger-ui-bundle.js`, specUrl: SPEC_PATH })
const page = ReadyResponse.text(html, 'text/html; charset=utf-8', { 'content-security-policy': contentSecurityPolicy })

const assets = new Map([
  [`${swaggerPackage.version}/swagger-ui.css`, asset(swaggerCssPath, 'text/css; charset=utf-8')],
  [`${swaggerPackage.version}/swagger-ui-bundle.js`, asset(swaggerBundlePath, 'text/javascript; charset=utf-8')],
])

const DESCRIPTION =
  'Videos, transcripts, full-text search and transcription jobs. Errors are `{ "error": { "code", "message" } }`; each response lists the codes it can carry. ' +
  'Any request may also meet 400 `invalid_host` (a Host header that is not host[:port]) and 404 `not_found` (no such route).'

/** `routes`: every route of the app, read when the document is first asked for. */
const TAGS = {
  admin: 'Operators: users, plans, the event log and the cache. Needs an admin user or the ADMIN_TOKEN.',
  auth: 'Signing in with a provider, the caller, and API keys.',
  events: 'Usage events recorded by signed-in callers.',
  favorites: 'The caller’s saved moments of videos.',
  health: 'Liveness, readiness and Prometheus metrics.',
  jobs: 'Transcription jobs: queue a video or a channel and follow it.',
  search: 'Full-text search over every transcript.',
  transcripts: 'A video’s transcript as JSON, SubRip or WebVTT, and replacing it.',
  videos: 'The catalogue of videos.',
}

export function docsRoutes(config: Pick<Config, 'PUBLIC_BASE_URL'>, routes: () => readonly DocumentedRoute[]) {
  const docs = new Elysia({ name: 'docs' }).use(routeOptions())
  // Built once, on first request: by then every route is declared.
  let spec: ReadyResponse | undefined
  const document = () =>
    (spec ??= ReadyResponse.json(
      openApiDocument(routes(), { title: TITLE, version: APP_VERSION, description: DESCRIPTION, serverUrl: serverUrl(config.PUBLIC_BASE_URL), tags: TAGS }),
    ))
  return docs
    .get(SPEC_PATH, document, { detail: { hide: true } })
    .get('/swagger', () => page, { detail: { hide: true } })
    // One wildcard route, so the cache-policy table has one template for every asset.
    .get(
      '/swagger/assets/*',
      ({ params, status }) => assets.get(params['*'])?.() ?? status(404, { error: { code: 'not_found', message: 'no such asset' } }),
      { cachePolicy: IMMUTABLE_ASSET, detail: { hide: true } },
    )
}
