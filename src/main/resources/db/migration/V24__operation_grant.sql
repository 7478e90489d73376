-- Each grant an operation ran under is to be stored once, not with every operation: a caller scoped
-- to 1,348 data sources repeats 52 KiB of canonical JSON in each of its rows (audit.md, "What is
-- recorded"). This is the expand step: the grants get a table of their own, keyed by the SHA-256 of
-- their text (which the table checks, so that a row cannot hold other text than its key names;
-- rows are never changed or deleted), and each operation names its grant by that digest. The
-- column `scopes` stays, filled from the digest, for the previous release, whose replicas read it
-- and write it during a rolling upgrade; a later release, once no replica of this one's
-- predecessor can run, drops it (deploying.md, "Upgrading").
CREATE TABLE operation_grant (
    digest bytea NOT NULL,
    scopes text  NOT NULL,
    CONSTRAINT pk_operation_grant PRIMARY KEY (digest),
    CONSTRAINT ck_operation_grant_digest CHECK (digest = sha256(convert_to(scopes, 'UTF8'))),
    CONSTRAINT ck_operation_grant_scopes CHECK (jsonb_typeof(scopes::jsonb) = 'object')
);

COMMENT ON TABLE operation_grant IS
    'Each grant operations ran under, once: canonical JSON of {integrationTypes, accounts, datasources} ({} is unrestricted) under the SHA-256 of its UTF-8 text';

CREATE TRIGGER trg_operation_grant_forbid_update BEFORE UPDATE ON operation_grant
    FOR EACH ROW EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER trg_operation_grant_forbid_delete BEFORE DELETE ON operation_grant
    FOR EACH ROW EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER trg_operation_grant_forbid_truncate BEFORE TRUNCATE ON operation_grant
    FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change();

-- The digest of a grant, the grant stored first if it is new. Called only by a statement that
-- inserts an operation, after that statement took the chain head's row lock: every grant is stored
-- under that lock, so no writer waits on another's uncommitted grant while it holds the head
-- (which would deadlock). PL/pgSQL keeps its plans for the session; a SQL function's are made
-- again at every call (0.1 ms more per intent, performance.md's twenty-seventh round).
CREATE FUNCTION operation_grant_digest(grant_scopes text) RETURNS bytea
    LANGUAGE plpgsql VOLATILE STRICT AS
$$
DECLARE
    grant_digest constant bytea := sha256(convert_to(grant_scopes, 'UTF8'));
BEGIN
    IF NOT EXISTS (SELECT 1 FROM operation_grant g WHERE g.digest = grant_digest) THEN
        INSERT INTO operation_grant (digest, scopes) VALUES (grant_digest, grant_scopes) ON CONFLICT (digest) DO NOTHING;
    END IF;
    RETURN grant_digest;
END
$$;

COMMENT ON FUNCTION operation_grant_digest(text) IS 'The digest an operation stores for this grant, the grant stored first if it is new';

INSERT INTO operation_grant (digest, scopes)
SELECT sha256(convert_to(scopes, 'UTF8')), scopes FROM operation WHERE scopes IS NOT NULL GROUP BY scopes;

ALTER TABLE operation
    ADD COLUMN scopes_digest bytea CONSTRAINT fk_operation_grant REFERENCES operation_grant (digest);

COMMENT ON COLUMN operation.scopes_digest IS
    'The grant the operation ran under, as it was when it was asked for (operation_grant); NULL before scopes existed';
COMMENT ON COLUMN operation.scopes IS
    'The text of the grant scopes_digest names, kept for the release before V24 and filled by trg_operation_grant_fill; to be dropped';

-- The one change to every row, by the owner: the update guard refuses any change to what was
-- requested, and this is the same grant, named by its digest.
ALTER TABLE operation DISABLE TRIGGER trg_operation_guard_update;
UPDATE operation SET scopes_digest = sha256(convert_to(scopes, 'UTF8')) WHERE scopes IS NOT NULL;
ALTER TABLE operation ENABLE TRIGGER trg_operation_guard_update;

-- A row this release writes names its grant by digest, and gets the grant's text for the previous
-- release's readers; a row that release writes (text, no digest) gets its digest. The row's values,
-- and so the chain head's lock, are taken before a BEFORE trigger runs.
CREATE FUNCTION operation_grant_fill() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF NEW.scopes_digest IS NOT NULL THEN
        NEW.scopes := (SELECT g.scopes FROM operation_grant g WHERE g.digest = NEW.scopes_digest);
    ELSIF NEW.scopes IS NOT NULL THEN
        NEW.scopes_digest := operation_grant_digest(NEW.scopes);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_operation_grant_fill BEFORE INSERT ON operation
    FOR EACH ROW EXECUTE FUNCTION operation_grant_fill();
