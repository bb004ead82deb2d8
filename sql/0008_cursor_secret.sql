-- Secrets the server generates for itself, shared by every instance on this database.
-- cursor_signing_key signs pagination cursors (src/http/cursor-codec.ts). It is made here, by the
-- database (gen_random_uuid() is a CSPRNG since PostgreSQL 13, also in PGlite): two of them give
-- 244 random bits, in no source file and with nothing to configure. Rotate it with
--   UPDATE server_secrets SET value = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
--          updated_at = now() WHERE name = 'cursor_signing_key';
-- and restart the servers: outstanding cursors then answer 400 invalid_cursor, nothing else changes.
CREATE TABLE server_secrets (
  name       text PRIMARY KEY,
  value      text NOT NULL CHECK (length(value) >= 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO server_secrets (name, value)
VALUES ('cursor_signing_key', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
