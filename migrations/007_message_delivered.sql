-- When the other side's client received a message (it acknowledged it):
-- "delivered", between "sent" (the row exists) and "read" (read_at).
ALTER TABLE messages ADD COLUMN delivered_at INTEGER;
