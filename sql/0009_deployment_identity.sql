-- One random id per database: every instance that serves this database, whatever address it uses
-- to reach it (a host name, an IP, PgBouncer, a replica), reads the same id, and another database
-- (another deployment) has another one. The cache derives its default Redis key prefix from it
-- (src/cache/prefix.ts), so deployments sharing a Redis server never share keys or bus channels.

CREATE TABLE deployment_identity (
  only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO deployment_identity DEFAULT VALUES;
