-- When an endpoint was turned off (by an admin, a 410 Gone, or after its
-- deliveries failed for the whole retry window); disabled_reason says why.
ALTER TABLE webhook_endpoints ADD COLUMN disabled_at INTEGER;
