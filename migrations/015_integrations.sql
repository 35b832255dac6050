-- TalkJS's REST API and Chat2Desk's integrations (issue 14): the callers'
-- own string ids, tags, quality scores, macros, keyword bots, the
-- self-service menu and embed logins. One migration for the whole feature.

-- TalkJS users are contacts whose `users.external_id` is the caller's id;
-- what TalkJS keeps beyond our columns is here (emails and phones as the
-- arrays the caller sent, `custom` with string values).
CREATE TABLE talkjs_users (
  user_id         INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  emails          TEXT NOT NULL DEFAULT '[]',
  phones          TEXT NOT NULL DEFAULT '[]',
  photo_url       TEXT,
  welcome_message TEXT,
  role            TEXT,
  locale          TEXT,
  custom          TEXT NOT NULL DEFAULT '{}',
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
-- TalkJS conversations: the caller's id → ours. Participants are rows of
-- `participants` (flag `member`); the subject is the conversation's title.
CREATE TABLE talkjs_conversations (
  ext_id           TEXT PRIMARY KEY,
  conversation_id  INTEGER NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
  photo_url        TEXT,
  welcome_messages TEXT NOT NULL DEFAULT '[]',
  custom           TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;

-- Idempotency-Key: a retried POST answers what the first one answered.
-- Kept 24 hours; `scope` names the surface and the caller.
CREATE TABLE idempotency_keys (
  scope       TEXT NOT NULL,
  key         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,   -- SHA-256 of method, path and body: another request with the key is 422
  status      INTEGER NOT NULL,
  response    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- Chat2Desk's tags: admin-managed, with colours, on clients and requests.
CREATE TABLE tags (
  id          INTEGER PRIMARY KEY,
  label       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  group_name  TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  bg_color    TEXT NOT NULL DEFAULT '#2563eb',
  text_color  TEXT NOT NULL DEFAULT '#ffffff',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE client_tags (
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX client_tags_tag ON client_tags(tag_id, user_id);
CREATE TABLE request_tags (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  tag_id          INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX request_tags_tag ON request_tags(tag_id, conversation_id);

-- Quality scores: one per request (conversation), on the scale configured
-- when it was asked. `asked_at` without a score: the client was asked.
CREATE TABLE scores (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
  scale           INTEGER NOT NULL,
  score           INTEGER,
  asked_at        INTEGER NOT NULL,
  scored_at       INTEGER
);
CREATE INDEX scores_scored ON scores(scored_at) WHERE score IS NOT NULL;

-- Macros: one-click action lists run from the conversation view.
CREATE TABLE macros (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  actions     TEXT NOT NULL DEFAULT '[]',   -- JSON array of steps (desk/steps.rs)
  position    INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
-- Each run, with what its external POST answered.
CREATE TABLE macro_runs (
  id              INTEGER PRIMARY KEY,
  macro_id        INTEGER REFERENCES macros(id) ON DELETE SET NULL,
  conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
  user_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
  result          TEXT NOT NULL DEFAULT '{}',
  created_at      INTEGER NOT NULL
);
CREATE INDEX macro_runs_conversation ON macro_runs(conversation_id, id);

-- Keyword chat bots: keywords (whole words, any case) that run steps on a
-- client's message, at most once per request within the cool-down.
CREATE TABLE keyword_bots (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  keywords    TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
  actions     TEXT NOT NULL DEFAULT '[]',   -- JSON array of steps
  cooldown_s  INTEGER NOT NULL DEFAULT 3600,
  enabled     INTEGER NOT NULL DEFAULT 1,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE keyword_bot_runs (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  bot_id          INTEGER NOT NULL REFERENCES keyword_bots(id) ON DELETE CASCADE,
  ran_at          INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, bot_id)
) WITHOUT ROWID;

-- The self-service menu (its items are the setting `menu`): where each
-- request is in it.
CREATE TABLE menu_state (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  state           TEXT NOT NULL CHECK (state IN ('offered','done')),
  misses          INTEGER NOT NULL DEFAULT 0,
  updated_at      INTEGER NOT NULL
);

-- Embed logins: a short-lived, single-use token a host application gets
-- with an API token (server-side) and puts in the embedded inbox's URL.
CREATE TABLE embed_tokens (
  token_hash  TEXT PRIMARY KEY,             -- SHA-256 of the token
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_id    INTEGER REFERENCES api_tokens(id) ON DELETE CASCADE,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER,
  created_at  INTEGER NOT NULL
) WITHOUT ROWID;
