// `bun scripts/import-graph.ts [--path src/modules/videos/index.ts]`: the import graph of src/.
// Checks the house rules and exits 1 when one is broken:
//   - dependencies go one way: entry points (main, cli, app) → modules, worker → http → cache →
//     platform (config and version are at the bottom, usable by all);
//   - no module imports another module's internals: a module's index.ts is its public face (its
//     routes and what it re-exports for others), everything else in its folder is its own; what
//     modules share lives in http/ or platform/, and a module gets what it needs of another (a
//     service, a caller's identity) from createApp;
//   - no import cycles between files, nor between folders.
// `--path FILE` prints every file FILE reaches, layer by layer (the read path of a route).
// `--root DIR` checks another tree laid out like src/ (the tests check a broken one).

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = resolve(import.meta.dir, '..')
const SRC = join(ROOT, 'src')

/** Lower layers never import higher ones. */
const LAYERS: [RegExp, number, string][] = [
  [/^(config|config-parsers|version|redact)\.ts$|^types\.d\.ts$/, 0, 'base'],
  [/^platform\//, 1, 'platform'],
  [/^cache\//, 2, 'cache'],
  [/^http\//, 3, 'http'],
  [/^(modules|worker|seed)\//, 4, 'domain'],
  [/^(app|main)\.ts$|^cli\//, 5, 'entry'],
]

export function layerOf(file: string): { rank: number; name: string } {
  for (const [re, rank, name] of LAYERS) if (re.test(file)) return { rank, name }
  throw new Error(`${file} is in no layer: add it to LAYERS in scripts/import-graph.ts`)
}

export function sourceFiles(root = SRC, dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(root, path)
    return /\.ts$/.test(name) ? [relative(root, path)] : []
  })
}

const IMPORT = /^\s*(?:import|export)\b[^'"]*?(?:from\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm

export function importsOf(file: string, root = SRC): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  return [...text.matchAll(IMPORT)]
    .map((m) => relative(root, resolve(dirname(join(root, file)), m[1] as string)))
    .filter((target) => !target.startsWith('..') && target.endsWith('.ts'))
}

/** The module a file belongs to (`modules/videos`), or undefined outside src/modules. */
const moduleOf = (file: string) => /^modules\/[^/]+/.exec(file)?.[0]
/** A module, a folder, or a file at the top of src/ (they sit in different layers). */
const folderOf = (file: string) => (file.includes('/') ? (moduleOf(file) ?? dirname(file)) : file)

/** Strongly connected components with more than one node (Tarjan): the cycles. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string) => {
    indices.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, indices.get(w) as number))
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop() as string
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!indices.has(v)) visit(v)
  return found
}

export type ViolationKind = 'climbs-up' | 'cross-module' | 'file-cycle' | 'folder-cycle'

export interface Violation {
  kind: ViolationKind
  text: string
}

export interface GraphReport {
  files: number
  edges: number
  violations: Violation[]
}

export function checkGraph(root = SRC): GraphReport {
  const files = sourceFiles(root).sort()
  const fileGraph = new Map<string, Set<string>>()
  const folderGraph = new Map<string, Set<string>>()
  const violations: Violation[] = []
  let edges = 0
  for (const file of files) {
    const from = layerOf(file)
    const targets = new Set(importsOf(file, root))
    fileGraph.set(file, targets)
    for (const target of targets) {
      edges++
      const to = layerOf(target)
      if (to.rank > from.rank) violations.push({ kind: 'climbs-up', text: `climbs up: ${file} (${from.name}) imports ${target} (${to.name})` })
      const [m1, m2] = [moduleOf(file), moduleOf(target)]
      if (m1 && m2 && m1 !== m2 && target !== `${m2}/index.ts`) violations.push({ kind: 'cross-module', text: `reaches into another module: ${file} imports ${target}` })
      const [f1, f2] = [folderOf(file), folderOf(target)]
      if (f1 !== f2) {
        if (!folderGraph.has(f1)) folderGraph.set(f1, new Set())
        folderGraph.get(f1)?.add(f2)
      }
    }
  }
  for (const c of cycles(fileGraph)) violations.push({ kind: 'file-cycle', text: `file cycle: ${c.join(' → ')}` })
  for (const c of cycles(folderGraph)) violations.push({ kind: 'folder-cycle', text: `folder cycle: ${c.join(' → ')}` })
  return { files: files.length, edges, violations }
}

/** Every file `start` reaches, with its layer, breadth first. */
export function reach(start: string): { file: string; layer: string; via: string }[] {
  const out: { file: string; layer: string; via: string }[] = []
  const seen = new Set([start])
  const queue: [string, string][] = [[start, '']]
  while (queue.length > 0) {
    const [file, via] = queue.shift() as [string, string]
    out.push({ file, layer: layerOf(file).name, via })
    for (const t of importsOf(file)) {
      if (seen.has(t)) continue
      seen.add(t)
      queue.push([t, file])
    }
  }
  return out
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { path: { type: 'string' }, root: { type: 'string' } } })
  if (values.path) {
    for (const r of reach(relative(SRC, resolve(ROOT, values.path)))) console.log(`${r.layer.padEnd(9)} ${r.file}${r.via ? `   (from ${r.via})` : ''}`)
  }
  const report = checkGraph(values.root ? resolve(values.root) : SRC)
  for (const v of report.violations) console.log(v.text)
  console.log(`import graph: ${report.files} files, ${report.edges} imports, ${report.violations.length} violations`)
  process.exitCode = report.violations.length === 0 ? 0 : 1
}
