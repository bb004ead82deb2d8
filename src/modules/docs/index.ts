import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import swaggerCssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import swaggerPackage from 'swagger-ui-dist/package.json' with { type: 'json' }
import { APP_VERSION } from '../../version.ts'

// Swagger UI served from assets embedded in the binary: it must render on a VM with no internet.
// Asset URLs carry the swagger-ui version, so they can be cached forever.

const ASSET_PREFIX = `/swagger/assets/${swaggerPackage.version}`
const IMMUTABLE = 'public, max-age=31536000, immutable'

function asset(path: string, contentType: string) {
  let bytes: Promise<Uint8Array> | undefined
  return async () =>
    new Response(await (bytes ??= Bun.file(path).bytes()), {
      headers: { 'content-type': contentType, 'cache-control': IMMUTABLE },
    })
}

export function docsRoutes() {
  return new Elysia({ name: 'docs' })
    .use(
      openapi({
        path: '/swagger',
        provider: 'swagger-ui',
        documentation: {
          info: {
            title: 'transcript-api',
            version: APP_VERSION,
            description: 'Videos, transcripts, full-text search and transcription jobs.',
          },
        },
        swagger: {
          theme: `${ASSET_PREFIX}/swagger-ui.css`,
          cdn: `${ASSET_PREFIX}/swagger-ui-bundle.js`,
        },
      }),
    )
    .get(`${ASSET_PREFIX}/swagger-ui.css`, asset(swaggerCssPath, 'text/css; charset=utf-8'), { detail: { hide: true } })
    .get(`${ASSET_PREFIX}/swagger-ui-bundle.js`, asset(swaggerBundlePath, 'text/javascript; charset=utf-8'), {
      detail: { hide: true },
    })
}
