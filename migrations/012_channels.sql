-- Messaging platforms (src/channels/). A customer's identity on a platform
-- (phone number, chat id, PSID, user id), by source code: the contact an
-- inbound message belongs to.
CREATE TABLE channel_identities (
  source      TEXT NOT NULL,                      -- tx, wa, fb, ig, tg, vb, ln, wc
  external_id TEXT NOT NULL,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (source, external_id)
) WITHOUT ROWID;
CREATE INDEX channel_identities_user ON channel_identities(user_id);

-- The platforms' ids of messages, both ways: a delivery the platform
-- repeats is stored once, and a status report finds the message it names.
CREATE TABLE channel_messages (
  platform        TEXT NOT NULL,                  -- twilio, whatsapp, ...
  provider_id     TEXT NOT NULL,
  direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
  message_id      INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  status          TEXT,                           -- sent, delivered, read, failed (out)
  error           TEXT,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (platform, provider_id)
) WITHOUT ROWID;
CREATE INDEX channel_messages_message ON channel_messages(message_id);
