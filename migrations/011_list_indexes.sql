-- The inbox list's per-agent row facts in a few index probes
-- (store/staff_reads.rs `view`): the newest public answer (by_owner = 0) and
-- the customer's public messages after a given id, without reading rows.
-- private and deleted_at are keyed too only so that SQLite sees the index
-- as covering (it re-checks a partial index's WHERE terms on its columns).
CREATE INDEX messages_public ON messages(conversation_id, by_owner, id, private, deleted_at)
  WHERE private = 0 AND deleted_at IS NULL;
-- Writing a message now marks the conversation read up to it for its staff
-- sender (desk/messages.rs), so "what I read or wrote" is one lookup.
-- Older messages get the same here.
INSERT INTO staff_reads (conversation_id, user_id, last_read_id)
  SELECT m.conversation_id, m.user_id, max(m.id) FROM messages m
  JOIN users u ON u.id = m.user_id
  WHERE u.user_type IN ('agent', 'admin', 'bot')
  GROUP BY m.conversation_id, m.user_id
  ON CONFLICT DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id);
