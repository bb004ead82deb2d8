import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { userWithKey } from './support/accounts.ts'
import { builtBinary } from './support/binary.ts'
import { createTestDatabase, type TestDatabase } from './support/postgres.ts'
import { startServer, type ServerProcess } from './support/server-process.ts'

// Swagger UI on the built binary, in the system's Chromium (headless, no browser download): the
// Authorize dialog offers the document's security schemes, and "Try it out" answers as the API
// does, 401 before authorizing and 200 after, for a user's API key and for the admin token.

const ADMIN_TOKEN = 'swagger-admin-token-0123456789abcdef0123456789'
let db: TestDatabase
let server: ServerProcess
let browser: Browser
let user: Awaited<ReturnType<typeof userWithKey>>

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true })
  user = await userWithKey(db.sql, { email: 'swagger-user@example.test' })
  const binary = await builtBinary()
  // PUBLIC_BASE_URL names another host than the one the page is opened at, as behind a proxy:
  // the document's relative server keeps "Try it out" on the page's own origin.
  server = await startServer([binary, 'serve'], { env: { DATABASE_URL: db.url, ADMIN_TOKEN, PUBLIC_BASE_URL: 'https://api.example.com/' } })
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true })
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await db?.drop()
})

/** What the page's Content-Security-Policy refused, as the browser reports it (console and DOM events). */
const violations = new WeakMap<Page, string[]>()

async function openSwagger(): Promise<Page> {
  const page = await browser.newPage()
  const seen: string[] = []
  violations.set(page, seen)
  page.on('console', (message) => {
    if (/content security policy|refused to/i.test(message.text())) seen.push(message.text())
  })
  await page.exposeFunction('reportViolation', (text: string) => seen.push(text))
  // An init script is the browser's own, outside the page's policy.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI))`)
  await page.goto(`${server.baseUrl}/swagger`)
  await page.locator('.swagger-ui .info .title').waitFor()
  return page
}

/** Closes the page after checking that its policy refused nothing. */
async function closeClean(page: Page) {
  expect(violations.get(page)).toEqual([])
  await page.close()
}

/** Authorize with one scheme of the dialog (by its name in components.securitySchemes). */
async function authorize(page: Page, scheme: string, value: string) {
  await page.locator('.swagger-ui .auth-wrapper .authorize').first().click()
  const container = page.locator('.auth-container').filter({ has: page.locator(`h4:has-text("${scheme}")`) })
  await container.locator('input').first().fill(value)
  await container.locator('button.authorize').click()
  await page.locator('.modal-ux .close-modal').click()
}

/** Try it out on an operation and execute it; its live response's status and body. */
async function tryItOut(page: Page, operationId: string, tag: string): Promise<{ status: string; body: string }> {
  const op = page.locator(`#operations-${tag}-${operationId}`)
  if (!(await op.locator('.opblock-body').isVisible())) await op.locator('.opblock-summary').first().click()
  const tryButton = op.locator('button.try-out__btn')
  if ((await tryButton.textContent())?.includes('Try it out')) await tryButton.click()
  await op.locator('button.execute').click()
  const live = op.locator('.live-responses-table .response')
  await live.first().waitFor()
  const status = (await live.locator('.response-col_status').first().textContent())?.trim() ?? ''
  const body = (await live.locator('.response-col_description pre').first().textContent()) ?? ''
  // Clear, so the next execute shows its own response.
  await op.locator('button.btn-clear').click()
  return { status, body }
}

describe('Swagger UI on the built binary', () => {
  test('the page is served with a Content-Security-Policy of this server only, and renders under it', async () => {
    const res = await fetch(`${server.baseUrl}/swagger`)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    const page = await openSwagger()
    // Every operation rendered: the bundle ran, its stylesheet and the spec loaded.
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20)
    await closeClean(page)
  }, 60_000)

  test('the Authorize dialog lists the API key (bearer and X-API-Key), the session cookie and the admin token', async () => {
    const page = await openSwagger()
    await page.locator('.swagger-ui .auth-wrapper .authorize').first().click()
    const names = await page.locator('.auth-container h4').allTextContents()
    for (const scheme of ['apiKeyBearer', 'apiKeyHeader', 'sessionCookie', 'adminToken']) expect(names.join(' ')).toContain(scheme)
    await page.close()
  }, 60_000)

  test('GET /auth/me: 401 before authorizing, 200 with the user’s email after authorizing their API key', async () => {
    const page = await openSwagger()
    const before = await tryItOut(page, 'getAuthMe', 'auth')
    expect(before.status).toBe('401')
    expect(before.body).toContain('unauthorized')
    await authorize(page, 'apiKeyBearer', user.key)
    const after = await tryItOut(page, 'getAuthMe', 'auth')
    expect(after.status).toBe('200')
    expect(after.body).toContain('swagger-user@example.test')
    // A user's key is no admin.
    expect((await tryItOut(page, 'getAdminCacheStats', 'admin')).status).toBe('403')
    await closeClean(page)
  }, 60_000)

  test('the X-API-Key scheme works too', async () => {
    const page = await openSwagger()
    await authorize(page, 'apiKeyHeader', user.key)
    const me = await tryItOut(page, 'getAuthMe', 'auth')
    expect(me.status).toBe('200')
    expect(me.body).toContain('swagger-user@example.test')
    await closeClean(page)
  }, 60_000)

  test('an admin route with the admin token: GET /admin/cache/stats and GET /admin/users', async () => {
    const page = await openSwagger()
    expect((await tryItOut(page, 'getAdminCacheStats', 'admin')).status).toBe('401')
    await authorize(page, 'adminToken', ADMIN_TOKEN)
    const stats = await tryItOut(page, 'getAdminCacheStats', 'admin')
    expect(stats.status).toBe('200')
    expect(stats.body).toContain('hit_rate')
    const users = await tryItOut(page, 'getAdminUsers', 'admin')
    expect(users.status).toBe('200')
    expect(users.body).toContain('swagger-user@example.test')
    await closeClean(page)
  }, 60_000)
})
