-- Agents as people: the colour of an agent's initials avatar (#rrggbb),
-- chosen on their profile; NULL means the default derived from the id.
ALTER TABLE users ADD COLUMN avatar_color TEXT;
