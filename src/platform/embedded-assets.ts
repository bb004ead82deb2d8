// PGlite's runtime files, embedded in the compiled binary. Without passing them in explicitly,
// a `bun build --compile` binary looks for them inside its own virtual filesystem and fails.
// The paths go through node_modules because the package's export map does not expose them.
import pgliteWasmPath from '../../node_modules/@electric-sql/pglite/dist/pglite.wasm' with { type: 'file' }
import initdbWasmPath from '../../node_modules/@electric-sql/pglite/dist/initdb.wasm' with { type: 'file' }
import pgliteDataPath from '../../node_modules/@electric-sql/pglite/dist/pglite.data' with { type: 'file' }

export interface PgliteAssets {
  pgliteWasmModule: WebAssembly.Module
  initdbWasmModule: WebAssembly.Module
  fsBundle: Blob
}

export async function loadPgliteAssets(): Promise<PgliteAssets> {
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    WebAssembly.compile(await Bun.file(pgliteWasmPath).arrayBuffer()),
    WebAssembly.compile(await Bun.file(initdbWasmPath).arrayBuffer()),
  ])
  return { pgliteWasmModule, initdbWasmModule, fsBundle: Bun.file(pgliteDataPath) }
}
