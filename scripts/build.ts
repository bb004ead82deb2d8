// `bun run build`: compiles the server, its SQL migrations, PGlite's wasm/data and Swagger UI's assets
// into one self-contained executable, dist/transcript-api. Identifiers are kept so stack traces
// in logs stay readable. The binary reads its configuration from its environment only: no `.env`
// or bunfig.toml from whatever directory it happens to run in.
export {} // a module, for top-level await

const outfile = process.env.BUILD_OUTFILE ?? 'dist/transcript-api'
const started = performance.now()
const proc = Bun.spawn(
  ['bun', 'build', '--compile', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--minify-whitespace', '--minify-syntax', '--sourcemap=none', 'src/main.ts', '--outfile', outfile],
  { stdio: ['inherit', 'inherit', 'inherit'] },
)
const code = await proc.exited
if (code !== 0) process.exit(code)
const size = Bun.file(outfile).size
console.log(`built ${outfile} (${(size / 1024 / 1024).toFixed(1)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
