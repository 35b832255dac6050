-- Logins an API token made (api.php `login`): revoking the token ends them.

ALTER TABLE sessions ADD COLUMN token_id INTEGER;        -- api_tokens.id that opened it, if any
ALTER TABLE visitor_tokens ADD COLUMN token_id INTEGER;  -- api_tokens.id that issued it, if any
CREATE INDEX sessions_token ON sessions(token_id) WHERE token_id IS NOT NULL;
CREATE INDEX visitor_tokens_token ON visitor_tokens(token_id) WHERE token_id IS NOT NULL;
