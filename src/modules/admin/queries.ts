import type { Sql } from '../../platform/db.ts'
import { timestampKey } from '../../http/timestamp-key.ts'
import { normaliseEmail } from '../auth/index.ts'
import type { AdminUser } from './model.ts'

// The admin's view of users. The list is newest first over (created_at, id) on users_created_id_idx;
// the email filter is an equality on users_email_idx.

interface AdminUserRow extends Omit<AdminUser, 'created_at' | 'updated_at'> {
  created_at: Date
  updated_at: Date
  created_key: string
}

export const toAdminUser = ({ created_key: _key, ...r }: AdminUserRow): AdminUser => ({
  ...r,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
})

export interface ListUsersInput {
  email: string | undefined
  limit: number
  after: [string, string] | undefined
}

/** The page query; exported for EXPLAIN tests. */
export function listUsersQuery(sql: Sql, i: ListUsersInput) {
  return sql<AdminUserRow[]>`
    SELECT id, email, name, avatar_url, role, plan, oauth_provider, created_at, updated_at,
           ${timestampKey(sql, sql`created_at`)} AS created_key
    FROM users
    WHERE true
      ${i.email === undefined ? sql`` : sql`AND email = ${normaliseEmail(i.email)}`}
      ${i.after === undefined ? sql`` : sql`AND (created_at, id) < (${i.after[0]}::text::timestamptz, ${i.after[1]}::uuid)`}
    ORDER BY created_at DESC, id DESC
    LIMIT ${i.limit + 1}`
}
