-- Tamper evidence: every audit event (the intent and the outcome of an operation) is a link of a
-- SHA-256 hash chain. hash = sha256(prev_hash || E'\n' || canonical JSON of the event), where the
-- canonical JSON is rebuilt from the operation row (see audit.AuditChain and the README), so
-- altering an operation row, an event, or their order breaks the chain.

CREATE TABLE audit_event (
    seq          bigint      GENERATED ALWAYS AS IDENTITY,
    operation_id uuid        NOT NULL,
    kind         text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    prev_hash    char(64)    NOT NULL,
    hash         char(64)    NOT NULL,
    CONSTRAINT pk_audit_event PRIMARY KEY (seq),
    CONSTRAINT fk_audit_event_operation FOREIGN KEY (operation_id) REFERENCES operation (operation_id),
    CONSTRAINT uq_audit_event_operation_kind UNIQUE (operation_id, kind),
    CONSTRAINT uq_audit_event_hash UNIQUE (hash),
    CONSTRAINT ck_audit_event_kind CHECK (kind IN ('INTENT', 'OUTCOME')),
    CONSTRAINT ck_audit_event_hashes CHECK (prev_hash ~ '^[0-9a-f]{64}$' AND hash ~ '^[0-9a-f]{64}$')
);

COMMENT ON TABLE audit_event IS
    'Hash chain over audit events: INTENT when an operation is recorded, OUTCOME when its result is. Append-only.';
COMMENT ON COLUMN audit_event.seq IS 'Position in the chain; appended under an advisory lock, so commit order = seq order';
COMMENT ON COLUMN audit_event.prev_hash IS 'hash of the previous event (64 zeros for the first)';
COMMENT ON COLUMN audit_event.hash IS 'sha256 hex of prev_hash, a newline and the canonical JSON of the event';

CREATE TRIGGER trg_audit_event_forbid_update BEFORE UPDATE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER trg_audit_event_forbid_delete BEFORE DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER trg_audit_event_forbid_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change();

-- Filters of the auditors' query API, each ending in the keyset order (requested_at, operation_id).
CREATE INDEX ix_operation_requested_by ON operation (requested_by, requested_at DESC, operation_id DESC);
CREATE INDEX ix_operation_account ON operation (account_id, requested_at DESC, operation_id DESC)
    WHERE account_id IS NOT NULL;
CREATE INDEX ix_operation_state ON operation (state, requested_at DESC, operation_id DESC);
