-- The data model of DESIGN.md. Ids are uuid unless noted; every table has created_at.

CREATE TYPE job_state AS ENUM (
  'pending', 'downloading', 'transcoding', 'transcribing', 'diarizing', 'persisting', 'completed', 'failed'
);

CREATE TABLE jobs (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind        text NOT NULL CHECK (kind IN ('single', 'channel')),
  input_url   text NOT NULL,
  state       job_state NOT NULL DEFAULT 'pending',
  priority    integer NOT NULL DEFAULT 100,
  error       text,
  meta        jsonb NOT NULL DEFAULT '{}',
  attempts    integer NOT NULL DEFAULT 0,
  claimed_by  text,
  claimed_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE videos (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id           uuid REFERENCES jobs (id) ON DELETE SET NULL,
  youtube_id       text NOT NULL UNIQUE,
  title            text,
  channel_name     text,
  language         text,
  category         text,
  duration_seconds integer CHECK (duration_seconds >= 0),
  thumbnail_url    text,
  uploaded_at      timestamptz,
  state            job_state NOT NULL DEFAULT 'pending',
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE transcripts (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  video_id   uuid NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  source     text NOT NULL CHECK (source IN ('whisper', 'youtube')),
  language   text,
  model      text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (video_id, source)
);

CREATE TABLE segments (
  id            bigserial PRIMARY KEY,
  transcript_id uuid NOT NULL REFERENCES transcripts (id) ON DELETE CASCADE,
  video_id      uuid NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  idx           integer NOT NULL CHECK (idx >= 0),
  start_ms      integer NOT NULL CHECK (start_ms >= 0),
  end_ms        integer NOT NULL CHECK (end_ms >= start_ms),
  text          text NOT NULL,
  speaker_label text,
  confidence    real,
  text_tsv      tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (transcript_id, idx)
);
CREATE INDEX segments_text_tsv_idx ON segments USING gin (text_tsv);

CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email          text,
  name           text,
  avatar_url     text,
  oauth_provider text,
  oauth_subject  text,
  plan           text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')),
  role           text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (oauth_provider, oauth_subject)
);

CREATE TABLE sessions (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  user_agent text,
  ip         text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key_hash     text NOT NULL UNIQUE,
  key_prefix   text NOT NULL,
  name         text,
  scopes       text[] NOT NULL DEFAULT '{}',
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE favorites (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  video_id   uuid NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
  start_ms   integer NOT NULL CHECK (start_ms >= 0),
  end_ms     integer NOT NULL CHECK (end_ms >= start_ms),
  text       text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  id         bigserial PRIMARY KEY,
  user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
  session_id uuid,
  type       text NOT NULL,
  payload    jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
