import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { checkGraph, importsOf, sourceFiles, type ViolationKind } from '../scripts/import-graph.ts'

// The house rules of src/ as the import graph sees them (scripts/import-graph.ts): dependencies go
// down only (modules → http → cache → platform), no module imports another, no cycles between
// files or folders. The same check run on a tree built to break each rule must find each break,
// so an empty report of src/ means the rules hold, not that the check looked at nothing.

/** Every import of src/ as [file, target]. */
const importsOfTree = () => sourceFiles().flatMap((file) => importsOf(file).map((target) => [file, target] as const))

const byKind = (kinds: ViolationKind[], kind: ViolationKind) => kinds.filter((k) => k === kind).length

describe('the import graph of src/', () => {
  const report = checkGraph()

  test('is read: every file, and the imports between them', () => {
    expect(report.files).toBeGreaterThan(100)
    expect(report.edges).toBeGreaterThan(400)
  })

  test('has no file cycles, no folder cycles, no module reaching into another, and no import going up a layer', () => {
    expect(report.violations.map((v) => v.text)).toEqual([])
  })

  test('auth and events import nothing of each other, not even their public faces', () => {
    const between = (from: string, to: string) =>
      importsOfTree()
        .filter(([file, target]) => file.startsWith(`modules/${from}/`) && target.startsWith(`modules/${to}/`))
        .map(([file, target]) => `${file} → ${target}`)
    expect([...between('auth', 'events'), ...between('events', 'auth')]).toEqual([])
  })
})

describe('on a tree that breaks every rule', () => {
  const root = mkdtempSync(join(tmpdir(), 'import-graph-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  const file = (path: string, ...imports: string[]) => {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), imports.map((i, n) => `import { x${n} } from '${i}'\n`).join('') + 'export const x = 1\n')
  }
  // Layers going up: cache → http, cache → modules, platform → cache, platform → worker, http → modules.
  file('cache/tiered.ts', '../http/ready.ts', '../modules/videos/service.ts')
  file('platform/db.ts', '../cache/keys.ts', '../worker/queue.ts')
  file('http/ready.ts', '../modules/videos/service.ts')
  file('cache/keys.ts')
  file('worker/queue.ts')
  // A module reaching into another's internals, both ways (which is also a folder cycle).
  file('modules/videos/service.ts', '../auth/identity.ts')
  file('modules/auth/identity.ts', '../events/service.ts')
  file('modules/events/service.ts', '../auth/identity.ts')
  // Allowed: a module's public face (its index.ts) used by another.
  file('modules/admin/index.ts', '../videos/index.ts')
  file('modules/videos/index.ts')
  // A file cycle inside one folder.
  file('http/a.ts', './b.ts')
  file('http/b.ts', './a.ts')

  const kinds = checkGraph(root).violations.map((v) => v.kind)

  test('finds each broken layer', () => {
    expect(byKind(kinds, 'climbs-up')).toBe(5)
  })

  test('finds each module reaching into another', () => {
    expect(byKind(kinds, 'cross-module')).toBe(3)
  })

  test('finds the file cycles and the folder cycles', () => {
    // http/a ↔ http/b, and modules/auth/identity ↔ modules/events/service.
    expect(byKind(kinds, 'file-cycle')).toBe(2)
    // modules/auth ↔ modules/events; the layer breaks above all point one way and close no loop.
    expect(byKind(kinds, 'folder-cycle')).toBe(1)
  })
})
