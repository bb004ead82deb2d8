import { readJsonBody } from '../../http/json-body.ts'
import { MAX_PATCH_BYTES, VideoPatchSchema, type VideoPatch } from './model.ts'

// The PATCH /videos/{id} body: checked against its schema (unknown fields are a 400, not a silent
// no-op 200), then its strings trimmed.

const FIELDS = ['title', 'channel_name', 'language', 'category'] as const satisfies readonly (keyof VideoPatch)[]

export async function readVideoPatch(request: Request): Promise<VideoPatch> {
  const patch = await readJsonBody(request, VideoPatchSchema, MAX_PATCH_BYTES)
  const out: VideoPatch = {}
  for (const key of FIELDS) {
    const v = patch[key]
    if (v !== undefined) out[key] = typeof v === 'string' ? v.trim() : v
  }
  return out
}
