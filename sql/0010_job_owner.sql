-- Jobs have an owner: the signed-in user who created them (NULL for anonymous jobs, allowed only
-- with ALLOW_ANONYMOUS_JOBS, the ADMIN_TOKEN, and jobs from before owners). The free plan's daily
-- job quota counts a user's jobs created today, index only.
ALTER TABLE jobs ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX jobs_created_by_created_idx ON jobs (created_by, created_at) WHERE created_by IS NOT NULL;
