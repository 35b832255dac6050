-- Agent commands (issue 13): Talkus's dot commands and ChatShipper's slash
-- commands, and what they act on. One migration for the whole feature.

-- Talkus dot commands, defined by admins: `.name args` in a conversation.
CREATE TABLE commands (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,  -- without the dot
  kind        TEXT NOT NULL CHECK (kind IN ('message','server','client','alias','open_url','redirect')),
  value       TEXT NOT NULL,                        -- text, URL, script or the target's name
  secret      TEXT,                                 -- server commands: signs the POST like a webhook
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
-- Talkus's default alias: `.e` is `.end`.
INSERT INTO commands (name, kind, value, description, created_at, updated_at)
VALUES ('e', 'alias', 'end', 'Close the conversation',
        CAST(strftime('%s','now') AS INTEGER) * 1000, CAST(strftime('%s','now') AS INTEGER) * 1000);

-- `/action like` and `/action comment` (ChatShipper): at most 100 likes
-- and 10 comments a message.
CREATE TABLE message_likes (
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
CREATE TABLE message_comments (
  id         INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
  command_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,  -- the `/action comment` message
  text       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX message_comments_message ON message_comments(message_id, id);

-- Departments are ChatShipper's organizations: a tree, each with its
-- categories (a category's slot is its index) and its routing rule
-- (JSON: {"policy": "none" | "round_robin", "capacity": N}).
ALTER TABLE departments ADD COLUMN parent_id INTEGER REFERENCES departments(id) ON DELETE SET NULL;
ALTER TABLE departments ADD COLUMN categories TEXT NOT NULL DEFAULT '[]';
ALTER TABLE departments ADD COLUMN routing TEXT NOT NULL DEFAULT '{}';
-- Round robin: the agent a department's rule picked last.
CREATE TABLE routing_state (
  department_id INTEGER PRIMARY KEY REFERENCES departments(id) ON DELETE CASCADE,
  last_agent_id INTEGER
);

-- ChatShipper's channels: notification targets with ids. An agent's email,
-- SMS number or push devices, or a webhook endpoint; a department's routing
-- notifies the channels that name it.
CREATE TABLE notify_channels (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL DEFAULT '',
  kind          TEXT NOT NULL CHECK (kind IN ('email','sms','push','webhook')),
  user_id       INTEGER REFERENCES users(id) ON DELETE CASCADE,
  endpoint_id   INTEGER REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  department_id INTEGER REFERENCES departments(id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL
);
CREATE INDEX notify_channels_department ON notify_channels(department_id);
-- The channels a queued conversation notified (ChatShipper's
-- conversation.channels / channelsOffline); `/accept` clears them.
CREATE TABLE conversation_channels (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  channel_id      INTEGER NOT NULL REFERENCES notify_channels(id) ON DELETE CASCADE,
  offline         INTEGER NOT NULL DEFAULT 0,
  notified_at     INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, channel_id)
) WITHOUT ROWID;

-- `/block`: a contact and the address they wrote from may not start
-- sessions or post. Lifting a block deletes its row.
CREATE TABLE blocks (
  id              INTEGER PRIMARY KEY,
  user_id         INTEGER REFERENCES users(id) ON DELETE CASCADE,
  ip              TEXT,
  reason          TEXT NOT NULL DEFAULT '',
  conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
  created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at      INTEGER NOT NULL
);
CREATE INDEX blocks_user ON blocks(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX blocks_ip ON blocks(ip) WHERE ip IS NOT NULL;
-- The address a contact last started a session or wrote from.
ALTER TABLE users ADD COLUMN last_ip TEXT;

-- Forms per category (ChatShipper): filled in a conversation, moved into
-- its results by `/send`.
CREATE TABLE forms (
  id            INTEGER PRIMARY KEY,
  department_id INTEGER REFERENCES departments(id) ON DELETE CASCADE,  -- NULL: every department
  category      TEXT NOT NULL DEFAULT '',                             -- '' : every category
  name          TEXT NOT NULL,
  fields        TEXT NOT NULL DEFAULT '[]',   -- JSON [{name, label, type, required, options}]
  email_to      TEXT NOT NULL DEFAULT '[]',   -- JSON array of addresses results are emailed to
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE TABLE conversation_forms (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  form_id         INTEGER NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
  answers         TEXT NOT NULL DEFAULT '{}',
  completed_at    INTEGER,
  updated_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, form_id)
) WITHOUT ROWID;
CREATE TABLE conversation_results (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  form_id         INTEGER REFERENCES forms(id) ON DELETE SET NULL,
  form_name       TEXT NOT NULL,
  answers         TEXT NOT NULL,
  message_id      INTEGER REFERENCES messages(id) ON DELETE SET NULL,  -- the result-type message
  created_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at      INTEGER NOT NULL
);
CREATE INDEX conversation_results_conversation ON conversation_results(conversation_id, id);
