import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

// The compiled binary (scripts/build.ts), built once per test run: every suite that needs it
// (test/binary.test.ts, test/swagger-ui.test.ts) shares the one `bun test` process and this build.
// It goes to .test-output/ (ignored by git), replaced by the next run: bun test fires no exit
// event to clean a temporary directory up, so one would be left behind on every run.

let built: Promise<string> | undefined

/** The path of the binary built from the working tree for this run. */
export function builtBinary(): Promise<string> {
  built ??= (async () => {
    const dir = join('.test-output', 'build')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const outfile = join(dir, 'transcript-api')
    const build = Bun.spawn(['bun', 'scripts/build.ts'], { env: { ...process.env, BUILD_OUTFILE: outfile }, stdout: 'pipe', stderr: 'pipe' })
    if ((await build.exited) !== 0) throw new Error(`build failed: ${await new Response(build.stderr).text()}`)
    return join(process.cwd(), outfile)
  })()
  return built
}
