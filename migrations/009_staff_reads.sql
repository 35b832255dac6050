-- How far each staff member has read each conversation, for unread counts
-- per agent. participants.last_read_id only exists for participants (the
-- owner, the assigned agent); any agent may read any conversation.
CREATE TABLE staff_reads (
  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  last_read_id    INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX staff_reads_user ON staff_reads(user_id);
