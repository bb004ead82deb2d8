import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// The compiled binary (scripts/build.ts), built once per test run: every suite that needs it
// (test/binary.test.ts, test/swagger-ui.test.ts) shares the one `bun test` process and this build.

let built: Promise<string> | undefined

/** The path of a freshly built binary in a temporary directory. */
export function builtBinary(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ta-build-'))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    const outfile = join(dir, 'transcript-api')
    const build = Bun.spawn(['bun', 'scripts/build.ts'], { env: { ...process.env, BUILD_OUTFILE: outfile }, stdout: 'pipe', stderr: 'pipe' })
    if ((await build.exited) !== 0) throw new Error(`build failed: ${await new Response(build.stderr).text()}`)
    return outfile
  })()
  return built
}
