-- An API key's expiry as it was at its last use: the principals list shows it for a key since
-- removed from the key file, whose entry is gone (docs/api.md, GET /audit/principals).
ALTER TABLE principal_last_use ADD COLUMN expires_at timestamptz;

COMMENT ON COLUMN principal_last_use.expires_at IS 'The API key''s expiresAt when it last authenticated; NULL: none, or a JWT subject';
