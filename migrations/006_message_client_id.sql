-- A client-chosen id on a message (an idempotency key): a repeated POST with
-- the same id from the same sender answers the message it already made.
-- Unique per conversation and sender; looked up by sender when a retried
-- "open a conversation with this message" must find its first attempt.
ALTER TABLE messages ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX messages_client_id ON messages(user_id, client_id, conversation_id) WHERE client_id IS NOT NULL;
