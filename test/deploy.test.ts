import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// The deployment files: docker-compose.yml checked by Debian's docker-compose (config -q, then the
// resolved file's shape), the systemd unit by systemd-analyze (verify, security). Neither starts
// anything: this machine has no Docker engine and systemd is not PID 1.

const DOCKER_COMPOSE = Bun.which('docker-compose')
const SYSTEMD_ANALYZE = Bun.which('systemd-analyze')
const UNIT = 'deploy/transcript-api.service'

function run(cmd: string[]) {
  const proc = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, SYSTEMD_COLORS: '0' } })
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() }
}

interface ComposeService {
  image?: string
  restart?: string
  profiles?: string[]
  logging?: { driver: string; options: Record<string, string> }
  environment?: Record<string, string>
  command?: string[]
  volumes?: (string | { source: string; target: string })[]
}

const missing = (what: string, pkg: string, found: string | null) => (found ? '' : ` — SKIPPED: ${what} is not installed (apt-get install ${pkg})`)

describe.if(DOCKER_COMPOSE !== null)(`docker-compose.yml (docker-compose config)${missing('docker-compose', 'docker-compose', DOCKER_COMPOSE)}`, () => {
  const config = (...profiles: string[]) => run(['docker-compose', ...profiles.flatMap((p) => ['--profile', p]), 'config'])

  test('config -q accepts the file with and without its profiles', () => {
    for (const profiles of [[], ['scale'], ['scale', 'monitoring']]) {
      const { code, stderr } = run(['docker-compose', ...profiles.flatMap((p) => ['--profile', p]), 'config', '-q'])
      expect({ profiles, code, stderr }).toEqual({ profiles, code: 0, stderr: '' })
    }
  })

  test('every service restarts, rotates its logs and runs a pinned image', () => {
    const resolved = config('scale', 'monitoring')
    expect(resolved.code).toBe(0)
    const { services } = Bun.YAML.parse(resolved.stdout) as { services: Record<string, ComposeService> }
    expect(Object.keys(services).sort()).toEqual(['api', 'api-2', 'grafana', 'postgres', 'prometheus', 'proxy', 'redis', 'worker'])
    for (const [name, s] of Object.entries(services)) {
      expect({ name, restart: s.restart }).toEqual({ name, restart: 'unless-stopped' })
      expect({ name, logging: s.logging }).toEqual({ name, logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } } })
      const tag = s.image?.split(':')[1] ?? ''
      // A minor release at least (16.6-alpine, v2.53.0), never latest or a bare major.
      if (s.image !== 'transcript-api:local') expect({ name, tag: /^v?\d+\.\d+/.test(tag) }).toEqual({ name, tag: true })
    }
  })

  test('the worker runs the example transcriber; the scale profile puts a proxy before two instances', () => {
    const { services } = Bun.YAML.parse(config('scale').stdout) as { services: Record<string, ComposeService> }
    const worker = services.worker
    expect(worker?.command?.[0]).toBe('worker')
    expect(worker?.environment?.TRANSCRIBE_CMD).toBe('/opt/transcript-api/example-transcriber.sh')
    expect(JSON.stringify(worker?.volumes)).toContain('scripts/transcribers/example-transcriber.sh')
    for (const name of ['worker', 'api-2']) expect(services[name]?.environment?.DATABASE_URL).toBe(services.api?.environment?.DATABASE_URL)
    for (const name of ['worker', 'api-2']) expect(services[name]?.environment?.REDIS_URL).toBe(services.api?.environment?.REDIS_URL)
    expect(services['api-2']?.profiles).toEqual(['scale'])
    expect(services.proxy?.profiles).toEqual(['scale'])
    const nginx = readFileSync('deploy/nginx-scale.conf', 'utf8')
    expect(nginx).toContain('server api:8000')
    expect(nginx).toContain('server api-2:8000')
  })
})

test('.dockerignore keeps the repository, dependencies and local data out of the build context', () => {
  const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim())
  for (const entry of ['.git', 'node_modules', 'dist', 'data', '*.env']) expect(ignored).toContain(entry)
  // What the Dockerfile copies must not be ignored.
  for (const entry of ['src', 'sql', 'scripts', 'patches', 'package.json', 'bun.lock']) expect(ignored).not.toContain(entry)
})

describe.if(SYSTEMD_ANALYZE !== null)(`deploy/transcript-api.service (systemd-analyze)${missing('systemd-analyze', 'systemd', SYSTEMD_ANALYZE)}`, () => {
  const unit = readFileSync(UNIT, 'utf8')

  test('systemd-analyze verify finds nothing to report', () => {
    // verify also checks that ExecStart's binary exists: point it at one that does.
    const dir = mkdtempSync(join(tmpdir(), 'ta-unit-'))
    try {
      const copy = join(dir, 'transcript-api.service')
      writeFileSync(copy, unit.replaceAll('/usr/local/bin/transcript-api', '/bin/true'))
      const { code, stdout, stderr } = run(['systemd-analyze', 'verify', copy])
      expect({ code, out: stdout + stderr }).toEqual({ code: 0, out: '' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('the hardening the issue asks for, and a security exposure of at most 2.0', () => {
    for (const line of ['Restart=on-failure', 'EnvironmentFile=/etc/transcript-api/transcript-api.env', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'User=transcript-api', 'StateDirectory=transcript-api']) {
      expect(unit.split('\n')).toContain(line)
    }
    expect(readFileSync('deploy/transcript-api.sysusers', 'utf8')).toMatch(/^u transcript-api /m)
    expect(readFileSync('deploy/transcript-api.env.example', 'utf8')).toMatch(/^DATA_DIR=\/var\/lib\/transcript-api$/m)
    const { stdout, stderr } = run(['systemd-analyze', 'security', '--offline=yes', UNIT])
    const score = /Overall exposure level for \S+: ([\d.]+)/.exec(stdout + stderr)?.[1]
    expect(score).toBeDefined()
    expect(Number(score)).toBeLessThanOrEqual(2)
  })
})

