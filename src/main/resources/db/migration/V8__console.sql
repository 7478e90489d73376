-- The console: people signed in through the organisation's OpenID Connect provider are principals
-- of their own kind, 'oidc', next to API keys and JWT subjects, so that auditors see their last use.

ALTER TABLE principal_last_use
    DROP CONSTRAINT ck_principal_last_use_auth_method,
    ADD CONSTRAINT ck_principal_last_use_auth_method CHECK (auth_method IN ('jwt', 'api-key', 'oidc'));

COMMENT ON COLUMN principal_last_use.auth_method IS
    'How the principal authenticates: api-key, jwt (a bearer token), or oidc (a person signed in to the console)';
