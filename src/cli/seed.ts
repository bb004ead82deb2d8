import type { Config } from '../config.ts'
import { openDatabase } from '../platform/database.ts'
import type { Logger } from '../platform/log.ts'
import { migrateDatabase } from '../platform/migrate-database.ts'
import { MAX_SEED, MAX_SEGMENTS_PER_VIDEO, MAX_VIDEOS, seedDatabase, type SeedCounts, type SeedProgress } from '../seed/index.ts'
import { integerOption, parseOptions } from './usage.ts'

// `transcript-api seed --videos N [--segments-per-video M] [--seed S]`: migrates, loads demo data,
// shows progress on stderr (so stdout stays clean for the summary) and prints what it loaded.

const BAR_WIDTH = 24
/** A TTY redraw at most this often: the loader reports every chunk, thousands of times. */
const REDRAW_MS = 100
/** Without a TTY (CI logs, pipes) a line per phase, plus one this often during long phases. */
const PLAIN_EVERY_MS = 5_000

const number = new Intl.NumberFormat('en-US')

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

interface ProgressView {
  update(p: SeedProgress): void
  finish(): void
}

function progressView(out: NodeJS.WriteStream, started: number): ProgressView {
  let phase = ''
  let last = 0
  let pending = ''
  const describe = (p: SeedProgress) => {
    const share = p.total > 0 ? Math.min(1, p.done / p.total) : 1
    const filled = Math.round(share * BAR_WIDTH)
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`
    const pct = `${Math.floor(share * 100)}%`.padStart(4)
    return `${p.phase.padEnd(12)} ${bar} ${pct}  ${number.format(p.done)}/${number.format(p.total)}  ${seconds(performance.now() - started)}`
  }
  if (out.isTTY) {
    return {
      update(p) {
        const now = performance.now()
        const changed = p.phase !== phase
        if (!changed && p.done < p.total && now - last < REDRAW_MS) return
        // A finished phase keeps its line; the next one draws below it.
        if (changed && phase !== '') out.write('\n')
        phase = p.phase
        last = now
        out.write(`\r${describe(p)}\x1b[K`)
      },
      finish() {
        if (phase !== '') out.write('\n')
      },
    }
  }
  return {
    update(p) {
      const now = performance.now()
      if (p.phase !== phase) {
        if (pending) out.write(pending)
        phase = p.phase
        last = now
      }
      pending = `${describe(p)}\n`
      if (p.done >= p.total || now - last >= PLAIN_EVERY_MS) {
        out.write(pending)
        pending = ''
        last = now
      }
    },
    finish() {
      if (pending) out.write(pending)
    },
  }
}

function summary(counts: SeedCounts, seed: number, ms: number): string {
  const rows = Object.entries(counts).map(([table, n]) => `  ${table.padEnd(12)} ${number.format(n).padStart(12)}`)
  return [`seeded --seed ${seed} in ${seconds(ms)}:`, ...rows].join('\n')
}

export async function seedCommand(args: string[], config: Config, log: Logger): Promise<void> {
  const opts = parseOptions('seed', args, {
    videos: { type: 'string' },
    'segments-per-video': { type: 'string' },
    seed: { type: 'string' },
  })
  const videos = integerOption('seed', 'videos', opts.videos, 1, MAX_VIDEOS)
  const segmentsPerVideo = integerOption('seed', 'segments-per-video', opts['segments-per-video'], 1, MAX_SEGMENTS_PER_VIDEO, 100)
  const seed = integerOption('seed', 'seed', opts.seed, 0, MAX_SEED, 1)

  const db = await openDatabase(config, log, 'transcript-api seed')
  try {
    // Seeding a fresh database must just work: bring the schema up to date first.
    await migrateDatabase(db, config, log)
    const started = performance.now()
    const view = progressView(process.stderr, started)
    let counts: SeedCounts
    try {
      counts = await seedDatabase(db.sql, { videos, segmentsPerVideo, seed }, view.update)
    } finally {
      view.finish()
    }
    console.log(summary(counts, seed, performance.now() - started))
  } finally {
    await db.close()
  }
}
