-- Email in (issue 11): threading, per-conversation thread data, IMAP state,
-- and the log of every inbound message.

-- Every Message-ID sent ('out') or received ('in'), with its conversation:
-- a reply joins the conversation its In-Reply-To/References name.
-- Stored without angle brackets.
CREATE TABLE email_message_ids (
  id              INTEGER PRIMARY KEY,
  message_id      TEXT NOT NULL UNIQUE,
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  message         INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  direction       TEXT NOT NULL CHECK (direction IN ('in','out')),
  created_at      INTEGER NOT NULL
);
CREATE INDEX email_message_ids_conversation ON email_message_ids(conversation_id, id);

-- A conversation that came in by email: its reply token (the address
-- `local+<token>@domain`), subject, the contact's address and the CC kept.
CREATE TABLE email_threads (
  conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
  token           TEXT NOT NULL UNIQUE,
  subject         TEXT NOT NULL DEFAULT '',
  contact_address TEXT NOT NULL,
  cc              TEXT NOT NULL DEFAULT '[]'      -- JSON array of addresses
);

-- Where polling of each mailbox got to: a message is imported once, ever.
CREATE TABLE imap_state (
  mailbox     TEXT PRIMARY KEY,                   -- user@host:port/mailbox
  uidvalidity INTEGER NOT NULL,
  last_uid    INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Every inbound message and what became of it; failed ones keep their raw
-- .eml under the data directory (raw_path, relative to it).
CREATE TABLE email_inbound (
  id              INTEGER PRIMARY KEY,
  via             TEXT NOT NULL,                  -- imap, pipe
  outcome         TEXT NOT NULL CHECK (outcome IN ('imported','ignored','failed')),
  reason          TEXT NOT NULL DEFAULT '',
  message_id      TEXT,
  sender          TEXT,
  subject         TEXT,
  conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
  message         INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  raw_path        TEXT,
  created_at      INTEGER NOT NULL
);
