-- The worker's claims, fenced and backed off (src/worker/queue.ts).

-- The fencing token: every claim sets it to the next value and nothing ever lowers it (a release
-- or a sweep leaves it alone), so a token names one claim of a job for good. Each write a worker
-- makes for its job checks the token it was handed: once the job was swept and claimed again, the
-- old holder's writes match no row. A constant default: adding the column rewrites nothing.
ALTER TABLE jobs ADD COLUMN claim_token bigint NOT NULL DEFAULT 0;

-- A failed attempt goes back to pending but may not be claimed before this (NULL: at once). The
-- claim filters on it while walking jobs_queue_ordering_idx, which stays its only index.
ALTER TABLE jobs ADD COLUMN retry_at timestamptz;
