-- Frontporch: schema version 1.
--
-- A fresh database runs this file, then every file of migrations/ in order;
-- an older database runs the migrations after its PRAGMA user_version, one
-- transaction each (src/store/migrate.rs). Neither this file nor a shipped
-- migration is ever edited: changes are new migrations.
--
-- Times are unix milliseconds (UTC). JSON columns hold JSON text.

CREATE TABLE departments (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  color       TEXT,
  created_at  INTEGER NOT NULL
);

-- Everyone: visitors, leads, users (contacts) and staff (agents, admins, bots).
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  user_type     TEXT NOT NULL CHECK (user_type IN ('visitor','lead','user','agent','admin','bot')),
  first_name    TEXT NOT NULL DEFAULT '',
  last_name     TEXT NOT NULL DEFAULT '',
  email         TEXT COLLATE NOCASE,
  phone         TEXT,
  profile_image TEXT,
  password_hash TEXT,
  language      TEXT,
  department_id INTEGER REFERENCES departments(id) ON DELETE SET NULL,
  custom        TEXT NOT NULL DEFAULT '{}',     -- JSON object: custom fields
  current_url   TEXT,
  external_id   TEXT,                           -- the host site's id (identify, TalkJS)
  online        INTEGER NOT NULL DEFAULT 0,     -- staff presence toggle
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  last_seen     INTEGER
);
CREATE UNIQUE INDEX users_email ON users(email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_external ON users(external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_type ON users(user_type, id);

-- Status numbers are Support Board's: 0 live, 1 waiting for user,
-- 2 waiting for agent, 3 archive, 4 trash.
CREATE TABLE conversations (
  id            INTEGER PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  status        INTEGER NOT NULL DEFAULT 2 CHECK (status BETWEEN 0 AND 4),
  title         TEXT NOT NULL DEFAULT '',
  department_id INTEGER REFERENCES departments(id) ON DELETE SET NULL,
  agent_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
  source        TEXT NOT NULL DEFAULT '',       -- '' web widget, or em, tm, wa, api...
  extra         TEXT NOT NULL DEFAULT '{}',     -- JSON object
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX conversations_user ON conversations(user_id, id);
CREATE INDEX conversations_updated ON conversations(updated_at DESC, id DESC);

CREATE TABLE participants (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  flags           TEXT NOT NULL DEFAULT '',     -- comma list: owner, agent, muted, left...
  last_read_id    INTEGER NOT NULL DEFAULT 0,   -- highest message id this participant has read
  joined_at       INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX participants_user ON participants(user_id);

CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
  body            TEXT NOT NULL DEFAULT '',
  attachments     TEXT NOT NULL DEFAULT '[]',   -- JSON array of {name, url, type, size}
  payload         TEXT NOT NULL DEFAULT '{}',   -- JSON object
  private         INTEGER NOT NULL DEFAULT 0,   -- internal note: agents only
  by_owner        INTEGER NOT NULL DEFAULT 0,   -- sent by the conversation's own user
  read_at         INTEGER,                      -- read by the other side
  created_at      INTEGER NOT NULL,
  edited_at       INTEGER,
  deleted_at      INTEGER
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);
-- Unread counts stay cheap however long a conversation grows; staff
-- messages never enter this index, so the hot path writes it less.
CREATE INDEX messages_unread ON messages(conversation_id) WHERE by_owner = 1 AND read_at IS NULL AND deleted_at IS NULL;

-- Every state change appends one row here, in the transaction that made it.
-- visitor_id is the conversation owner, so a visitor's feed is one index range.
CREATE TABLE events (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  kind            TEXT NOT NULL,
  conversation_id INTEGER,
  visitor_id      INTEGER,
  actor_id        INTEGER,
  audience        INTEGER NOT NULL DEFAULT 0,   -- 0 everyone in scope, 1 staff only, 2 admins only
  payload         TEXT NOT NULL DEFAULT '{}',
  created_at      INTEGER NOT NULL
);
CREATE INDEX events_visitor ON events(visitor_id, id) WHERE visitor_id IS NOT NULL;

-- Files visitors and agents attach; the bytes live in DATA/uploads/<token>.
CREATE TABLE uploads (
  id           INTEGER PRIMARY KEY,
  token        TEXT NOT NULL UNIQUE,            -- random, unguessable: the file's name on disk and in its URL
  name         TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL
);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,                     -- JSON value
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('admin','agent')),
  token_hash   TEXT NOT NULL UNIQUE,            -- sha256 hex of the token
  prefix       TEXT NOT NULL,                   -- first characters, to recognise it in lists
  user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  csrf_token  TEXT NOT NULL,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE visitor_tokens (
  token_hash  TEXT PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX visitor_tokens_user ON visitor_tokens(user_id);

CREATE TABLE webhook_endpoints (
  id              INTEGER PRIMARY KEY,
  url             TEXT NOT NULL,
  secret          TEXT NOT NULL,                -- needed to sign, so kept; never listed
  kinds           TEXT NOT NULL DEFAULT '["*"]',-- JSON array of event kinds, "*" = all
  format          TEXT NOT NULL DEFAULT 'standard',
  active          INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT,
  created_at      INTEGER NOT NULL
);

-- Everything that must leave the box. Written in the transaction of its cause.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  channel         TEXT NOT NULL,                -- webhook, email, sms, ...
  endpoint_id     INTEGER REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  event_id        INTEGER,
  payload         TEXT NOT NULL,                -- the exact body to send
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivered','dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  delivered_at    INTEGER,
  last_error      TEXT
);
-- Due rows per endpoint: the dispatcher asks each endpoint with free
-- capacity, so a backlog at one receiver is never scanned for another.
CREATE INDEX outbox_due ON outbox(endpoint_id, next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_endpoint ON outbox(endpoint_id, id);

CREATE TABLE delivery_attempts (
  id          INTEGER PRIMARY KEY,
  outbox_id   INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
  attempted_at INTEGER NOT NULL,
  status_code INTEGER,                          -- HTTP status, NULL when no response
  error       TEXT,
  duration_ms INTEGER NOT NULL,
  response    TEXT                              -- first bytes of the response body
);
CREATE INDEX delivery_attempts_outbox ON delivery_attempts(outbox_id, id);

-- Full-text search (external content tables kept in step by triggers).
--
-- New messages are indexed once per group commit, not by an insert trigger:
-- FTS5 flushes its pending terms at every savepoint release, so a trigger
-- would write one index segment per message. `search_watermark` holds the
-- highest message id indexed; edits and deletes of indexed rows use triggers.
CREATE TABLE search_watermark (
  name    TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO search_watermark VALUES ('messages', 0);

CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER messages_ad AFTER DELETE ON messages
WHEN old.id <= (SELECT last_id FROM search_watermark WHERE name = 'messages') BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_au AFTER UPDATE OF body ON messages
WHEN old.id <= (SELECT last_id FROM search_watermark WHERE name = 'messages') BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;

CREATE VIRTUAL TABLE users_fts USING fts5(first_name, last_name, email, content='users', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN
  INSERT INTO users_fts(rowid, first_name, last_name, email) VALUES (new.id, new.first_name, new.last_name, coalesce(new.email, ''));
END;
CREATE TRIGGER users_ad AFTER DELETE ON users BEGIN
  INSERT INTO users_fts(users_fts, rowid, first_name, last_name, email) VALUES ('delete', old.id, old.first_name, old.last_name, coalesce(old.email, ''));
END;
CREATE TRIGGER users_au AFTER UPDATE OF first_name, last_name, email ON users BEGIN
  INSERT INTO users_fts(users_fts, rowid, first_name, last_name, email) VALUES ('delete', old.id, old.first_name, old.last_name, coalesce(old.email, ''));
  INSERT INTO users_fts(rowid, first_name, last_name, email) VALUES (new.id, new.first_name, new.last_name, coalesce(new.email, ''));
END;

CREATE VIRTUAL TABLE conversations_fts USING fts5(title, content='conversations', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER conversations_ai AFTER INSERT ON conversations BEGIN
  INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_ad AFTER DELETE ON conversations BEGIN
  INSERT INTO conversations_fts(conversations_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER conversations_au AFTER UPDATE OF title ON conversations BEGIN
  INSERT INTO conversations_fts(conversations_fts, rowid, title) VALUES ('delete', old.id, old.title);
  INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
END;
