-- Reliability: idempotency keys, and reconciliation of operations whose outcome is unknown.

-- Idempotency-Key per principal: the first request's fingerprint and, once known, its answer.
-- Not part of the audit trail (the operation rows are); expired rows are deleted.
CREATE TABLE idempotency_key (
    principal       text        NOT NULL,
    idempotency_key text        NOT NULL,
    fingerprint     char(64)    NOT NULL,
    operation_id    uuid,
    response_status integer,
    response_body   text,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    CONSTRAINT pk_idempotency_key PRIMARY KEY (principal, idempotency_key),
    CONSTRAINT ck_idempotency_key_response CHECK ((response_status IS NULL) = (response_body IS NULL))
);
CREATE INDEX ix_idempotency_key_expires_at ON idempotency_key (expires_at);

COMMENT ON TABLE idempotency_key IS 'Idempotency-Key of migrate/reverse requests per principal, kept for the retention period';
COMMENT ON COLUMN idempotency_key.fingerprint IS 'sha256 of the request (direction, datasource, body): a reuse with another request is refused';
COMMENT ON COLUMN idempotency_key.operation_id IS 'The operation the first request recorded, once recorded';
COMMENT ON COLUMN idempotency_key.response_body IS 'The stored answer replayed to repeats (an Operation or a problem)';

-- Reconciliation: an operation left UNKNOWN (deadline passed) or PENDING (the service died) is
-- resolved later by asking Domo whether the datasource is migrated. The finding is recorded next
-- to what happened, which stays as it was: state keeps UNKNOWN/PENDING.
ALTER TABLE operation
    ADD COLUMN reconciled_state    text,
    ADD COLUMN reconciled_at       timestamptz,
    ADD COLUMN reconciliation_note text,
    ADD CONSTRAINT ck_operation_reconciled_state
        CHECK (reconciled_state IS NULL OR reconciled_state IN ('COMPLETE', 'ABORTED')),
    ADD CONSTRAINT ck_operation_reconciliation
        CHECK ((reconciled_state IS NULL) = (reconciled_at IS NULL)
            AND (reconciled_at IS NULL OR state IN ('PENDING', 'UNKNOWN')));

COMMENT ON COLUMN operation.reconciled_state IS
    'For an UNKNOWN or abandoned PENDING operation: COMPLETE or ABORTED, as Domo''s candidates showed later';
COMMENT ON COLUMN operation.reconciliation_note IS 'What was checked to reconcile, in words';

-- Until its outcome is known, an operation keeps its datasource locked, on every replica.
DROP INDEX uq_operation_in_flight;
CREATE UNIQUE INDEX uq_operation_in_flight ON operation (datasource_id)
    WHERE state IN ('PENDING', 'UNKNOWN') AND reconciled_at IS NULL;
CREATE INDEX ix_operation_unresolved ON operation (requested_at)
    WHERE state IN ('PENDING', 'UNKNOWN') AND reconciled_at IS NULL;

-- Two changes are allowed, each once: PENDING to an outcome, and recording a reconciliation of
-- a PENDING or UNKNOWN operation. What was requested never changes.
CREATE OR REPLACE FUNCTION operation_guard_update() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF (NEW.operation_id, NEW.direction, NEW.datasource_id, NEW.account_id, NEW.catalog_name, NEW.schema_name,
        NEW.table_name, NEW.requested_by, NEW.auth_method, NEW.request_id, NEW.client_address, NEW.requested_at)
        IS DISTINCT FROM
       (OLD.operation_id, OLD.direction, OLD.datasource_id, OLD.account_id, OLD.catalog_name, OLD.schema_name,
        OLD.table_name, OLD.requested_by, OLD.auth_method, OLD.request_id, OLD.client_address, OLD.requested_at)
    THEN
        RAISE EXCEPTION 'operation % is append-only: what was requested cannot change', OLD.operation_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.state = 'PENDING' AND NEW.state <> 'PENDING'
        AND (NEW.reconciled_state, NEW.reconciled_at, NEW.reconciliation_note)
            IS NOT DISTINCT FROM (OLD.reconciled_state, OLD.reconciled_at, OLD.reconciliation_note) THEN
        RETURN NEW;
    END IF;
    IF OLD.state IN ('PENDING', 'UNKNOWN') AND OLD.reconciled_at IS NULL AND NEW.reconciled_at IS NOT NULL
        AND (NEW.state, NEW.toe, NEW.start_time, NEW.end_time, NEW.error_message, NEW.upstream_status,
             NEW.duration_ms, NEW.completed_at)
            IS NOT DISTINCT FROM
            (OLD.state, OLD.toe, OLD.start_time, OLD.end_time, OLD.error_message, OLD.upstream_status,
             OLD.duration_ms, OLD.completed_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'operation % is append-only: only PENDING may be completed, and an unknown outcome reconciled, once',
        OLD.operation_id USING ERRCODE = 'integrity_constraint_violation';
END
$$;

ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_kind;
ALTER TABLE audit_event ADD CONSTRAINT ck_audit_event_kind CHECK (kind IN ('INTENT', 'OUTCOME', 'RECONCILIATION'));
