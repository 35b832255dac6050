-- Web Push to agents (issue 12): each agent's devices, and the install's
-- VAPID key pair (RFC 8292). The key lives in its own table, not in the
-- settings, so no settings read or export can carry the private half, while
-- a backup of the database keeps it (subscriptions are bound to the key).
CREATE TABLE push_subscriptions (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  endpoint    TEXT NOT NULL UNIQUE,               -- the push service's URL for this device
  p256dh      TEXT NOT NULL,                      -- the browser's public key, base64url
  auth        TEXT NOT NULL,                      -- the browser's auth secret, base64url
  user_agent  TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id, id);

CREATE TABLE push_vapid (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  private_key BLOB NOT NULL,                      -- P-256 scalar, 32 bytes
  public_key  TEXT NOT NULL,                      -- uncompressed point, base64url
  created_at  INTEGER NOT NULL
);

-- The push lane's due rows, and the per-conversation bound on notifications,
-- without scanning the webhook rows.
CREATE INDEX outbox_push_due ON outbox(next_attempt_at) WHERE channel = 'push' AND state = 'pending';
CREATE INDEX outbox_push_created ON outbox(created_at) WHERE channel = 'push';
