// What the router may route. Bun builds request.url from the Host header, and Elysia finds the
// path by searching for the first `/` from a fixed index of that URL instead of parsing it. With
// `handler.standardHostname: false` (src/app.ts) that index is 7, right after `http://`, which is
// correct for any host however short; by default it is 11, so `Host: ab` on `/xyz/metrics` routed
// `/metrics`. That leaves the URLs that are not `http://<host>/…`:
// - a Host Bun could not use (`a/b`, `a b`, `@x`, empty): Bun passes the bare path (`/xyz/metrics`),
//   which Elysia would cut at its second `/`. RFC 9112 §3.2 makes it a 400;
// - no Host at all (HTTP/1.0, e.g. a load balancer's health check): the same bare path, routed
//   here as if sent to localhost (no handler reads the host);
// - another scheme (a server with TLS): routed as http, which is all the router needs to know.

const HTTP = 'http://'

/** The request as the router can route it, or undefined when its Host header is invalid (a 400). */
export function routableRequest(request: Request): Request | undefined {
  const url = request.url
  if (url.startsWith(HTTP)) return request
  if (url.startsWith('/')) return request.headers.has('host') ? undefined : new Request(`${HTTP}localhost${url}`, request)
  return new Request(`${HTTP}${url.slice(url.indexOf('://') + 3)}`, request)
}
