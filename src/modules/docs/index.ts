import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import { IMMUTABLE_ASSET } from '../../http/cache-policy.ts'
import { routeOptions } from '../../http/route-options.ts'
import swaggerCssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import swaggerPackage from 'swagger-ui-dist/package.json' with { type: 'json' }
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

const page = ReadyResponse.text(
  swaggerPage({ title: TITLE, cssUrl: `${ASSET_PREFIX}/swagger-ui.css`, bundleUrl: `${ASSET_PREFIX}/swagger-ui-bundle.js`, specUrl: SPEC_PATH }),
  'text/html; charset=utf-8',
)

const assets = new Map([
  [`${swaggerPackage.version}/swagger-ui.css`, asset(swaggerCssPath, 'text/css; charset=utf-8')],
  [`${swaggerPackage.version}/swagger-ui-bundle.js`, asset(swaggerBundlePath, 'text/javascript; charset=utf-8')],
])

export function docsRoutes() {
  return new Elysia({ name: 'docs' })
    .use(routeOptions())
    .use(
      openapi({
        path: '/swagger',
        specPath: SPEC_PATH,
        provider: null, // the page is served below, from embedded assets
        // The plugin hides paths with a dot by default; the .srt/.vtt exports are real routes.
        exclude: { staticFile: false },
        documentation: {
          info: {
            title: TITLE,
            version: APP_VERSION,
            description: 'Videos, transcripts, full-text search and transcription jobs.',
          },
        },
      }),
    )
    .get('/swagger', () => page, { detail: { hide: true } })
    // One wildcard route, so the cache-policy table has one template for every asset.
    .get(
      '/swagger/assets/*',
      ({ params, status }) => assets.get(params['*'])?.() ?? status(404, { error: { code: 'not_found', message: 'no such asset' } }),
      { cachePolicy: IMMUTABLE_ASSET, detail: { hide: true } },
    )
}
