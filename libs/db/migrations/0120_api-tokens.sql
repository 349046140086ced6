-- Up Migration
-- Bearer tokens of the HTTP API (services/api). A token is random and shown once, when it is made; only its SHA-256
-- is kept, so this table (readable by the readonly role) never holds a usable credential. A revoked token stays, with
-- the time it was revoked, so the log lines naming it can still be traced to who held it.
CREATE TABLE api_tokens (
  id         text        PRIMARY KEY,
  name       text        NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
  role       text        NOT NULL CHECK (role IN ('finance', 'support', 'operator', 'admin')),
  token_hash text        NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
-- A name says who holds a token in every log line: two live tokens never share one.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- Down Migration
DROP TABLE api_tokens;
