import { createHash } from 'node:crypto'

// The Swagger UI page. Its own (rather than the openapi plugin's) so that it links only to the
// assets embedded in the binary and never to a CDN: it must render on a VM with no internet. Its
// Content-Security-Policy says the same to the browser: scripts, styles, images and requests from
// this server only (the one inline script by its hash; the stylesheet's icons are data: URIs),
// nothing else, and no framing.

export interface SwaggerPage {
  html: string
  contentSecurityPolicy: string
}

export function swaggerPage(opts: { title: string; cssUrl: string; bundleUrl: string; specUrl: string }): SwaggerPage {
  // validatorUrl null: no badge image fetched from validator.swagger.io.
  const config = JSON.stringify({ url: opts.specUrl, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null })
  const script = `window.onload = () => { window.ui = SwaggerUIBundle(${config}) }`
  const scriptHash = createHash('sha256').update(script).digest('base64')
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>${opts.title}</title>
  <link rel="stylesheet" href="${opts.cssUrl}" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${opts.bundleUrl}"></script>
  <script>${script}</script>
</body>
</html>
`
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${scriptHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
  return { html, contentSecurityPolicy }
}
