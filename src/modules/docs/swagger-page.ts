// The Swagger UI page. Its own (rather than the openapi plugin's) so that it links only to the
// assets embedded in the binary and never to a CDN: it must render on a VM with no internet.

export function swaggerPage(opts: { title: string; cssUrl: string; bundleUrl: string; specUrl: string }): string {
  const config = JSON.stringify({ url: opts.specUrl, dom_id: '#swagger-ui', deepLinking: true })
  return `<!doctype html>
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
  <script>window.onload = () => { window.ui = SwaggerUIBundle(${config}) }</script>
</body>
</html>
`
}
