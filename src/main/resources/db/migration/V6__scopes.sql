-- Least privilege: the grant each operation ran under, and each principal's last use.

-- The caller's scopes when the operation was asked for, as canonical JSON ({} is unrestricted).
-- Part of what was requested: the update guard of V4 keeps it fixed, and the INTENT event covers it.
-- NULL for operations recorded before scopes existed.
ALTER TABLE operation
    ADD COLUMN scopes text,
    ADD CONSTRAINT ck_operation_scopes CHECK (scopes IS NULL OR jsonb_typeof(scopes::jsonb) = 'object');

COMMENT ON COLUMN operation.scopes IS
    'The requester''s scopes when the operation was asked for, canonical JSON of {integrationTypes, accounts, datasources}; {} is unrestricted; NULL before scopes existed';

-- Last successful authentication per principal, for auditors (GET /api/v1/audit/principals).
-- Written by the service at most once a minute per principal and replica; not part of the audit
-- trail (auditors' own reads are, as AUDIT_ACCESS events).
CREATE TABLE principal_last_use (
    auth_method         text        NOT NULL,
    principal           text        NOT NULL,
    first_seen_at       timestamptz NOT NULL,
    last_used_at        timestamptz NOT NULL,
    last_client_address text,
    roles               text[]      NOT NULL,
    scopes              text        NOT NULL,
    CONSTRAINT pk_principal_last_use PRIMARY KEY (auth_method, principal),
    CONSTRAINT ck_principal_last_use_auth_method CHECK (auth_method IN ('jwt', 'api-key')),
    CONSTRAINT ck_principal_last_use_times CHECK (first_seen_at <= last_used_at)
);

COMMENT ON TABLE principal_last_use IS
    'Each principal''s last successful authentication (API key names and JWT subjects), written at most once a minute per principal and replica';
COMMENT ON COLUMN principal_last_use.roles IS 'The roles the principal authenticated with, last time';
COMMENT ON COLUMN principal_last_use.scopes IS 'The scopes the principal authenticated with, last time (canonical JSON; {} is unrestricted)';
