-- The ledger: one hash chain for every audit event (operations, and from now on events that are
-- about no operation: plans, auditors' access, checkpoints), a one-row chain head that appends
-- in one statement, and operations that can be flagged for a person when Domo cannot tell what
-- happened.

-- Events about an operation rebuild their canonical JSON from the operation row (so altering the
-- row breaks the chain); every other event stores its canonical JSON in payload.
ALTER TABLE audit_event ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE audit_event ALTER COLUMN operation_id DROP NOT NULL;
ALTER TABLE audit_event
    ADD COLUMN subject text,
    ADD COLUMN payload text;
ALTER TABLE audit_event DROP CONSTRAINT ck_audit_event_kind;
ALTER TABLE audit_event
    ADD CONSTRAINT ck_audit_event_kind CHECK (kind ~ '^[A-Z][A-Z_]{0,63}$'),
    ADD CONSTRAINT ck_audit_event_payload CHECK (
        (kind IN ('INTENT', 'OUTCOME', 'RECONCILIATION', 'REVIEW') AND operation_id IS NOT NULL AND payload IS NULL)
        OR (kind NOT IN ('INTENT', 'OUTCOME', 'RECONCILIATION', 'REVIEW') AND operation_id IS NULL
            AND payload IS NOT NULL));
CREATE INDEX ix_audit_event_kind ON audit_event (kind, seq);
CREATE INDEX ix_audit_event_subject ON audit_event (subject, seq) WHERE subject IS NOT NULL;

COMMENT ON TABLE audit_event IS
    'Hash chain over every audit event: operation events (INTENT, OUTCOME, RECONCILIATION, REVIEW) and events about no operation (plans, audit access, checkpoints). Append-only.';
COMMENT ON COLUMN audit_event.seq IS 'Position in the chain, taken from audit_chain_head in the same statement: gap-free, commit order';
COMMENT ON COLUMN audit_event.subject IS 'What a non-operation event is about (a plan id, a principal), for lookups';
COMMENT ON COLUMN audit_event.payload IS 'Canonical JSON of an event about no operation; NULL for operation events, whose JSON is rebuilt from the operation row';

-- The newest link of the chain. Appending updates this one row (its lock serialises appenders on
-- every replica until commit, so seq order is commit order) and inserts the event from what the
-- UPDATE returns: lock, read and link in one statement.
CREATE TABLE audit_chain_head (
    id        smallint NOT NULL DEFAULT 1,
    seq       bigint   NOT NULL,
    prev_hash char(64) NOT NULL,
    hash      char(64) NOT NULL,
    CONSTRAINT pk_audit_chain_head PRIMARY KEY (id),
    CONSTRAINT ck_audit_chain_head_single CHECK (id = 1)
);
COMMENT ON TABLE audit_chain_head IS 'The last event of the hash chain (one row); advanced by one with every appended event';

INSERT INTO audit_chain_head (id, seq, prev_hash, hash)
SELECT 1,
       coalesce((SELECT seq FROM audit_event ORDER BY seq DESC LIMIT 1), 0),
       coalesce((SELECT prev_hash FROM audit_event ORDER BY seq DESC LIMIT 1), repeat('0', 64)),
       coalesce((SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1), repeat('0', 64));

CREATE FUNCTION audit_chain_head_guard() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 OR NEW.prev_hash <> OLD.hash THEN
        RAISE EXCEPTION 'audit_chain_head only advances by one link' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER trg_audit_chain_head_guard BEFORE UPDATE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_guard();
CREATE TRIGGER trg_audit_chain_head_forbid_delete BEFORE DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER trg_audit_chain_head_forbid_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change();

-- Operations: the plan that ran them, who resolved an unknown outcome by hand, and the flag that
-- asks a person to look when Domo's candidates cannot tell whether an operation took effect.
ALTER TABLE operation
    ADD COLUMN plan_id           uuid,
    ADD COLUMN reconciled_by     text,
    ADD COLUMN review_reason     text,
    ADD COLUMN review_flagged_at timestamptz,
    ADD CONSTRAINT ck_operation_review CHECK ((review_reason IS NULL) = (review_flagged_at IS NULL)),
    ADD CONSTRAINT ck_operation_reconciled_by CHECK (reconciled_by IS NULL OR reconciled_at IS NOT NULL);

COMMENT ON COLUMN operation.plan_id IS 'The migration plan this operation was run for; NULL for a single request';
COMMENT ON COLUMN operation.reconciled_by IS 'Principal who recorded the reconciliation by hand; NULL when the service reconciled it';
COMMENT ON COLUMN operation.review_reason IS 'Why reconciliation could not tell the outcome from Domo: a person must resolve it';
COMMENT ON COLUMN operation.review_flagged_at IS 'When the operation was flagged for a person';

CREATE INDEX ix_operation_plan ON operation (plan_id, requested_at DESC, operation_id DESC) WHERE plan_id IS NOT NULL;
CREATE INDEX ix_operation_needs_review ON operation (review_flagged_at)
    WHERE review_reason IS NOT NULL AND reconciled_at IS NULL;

-- Append-only, column by column: what was requested never changes; each of three things may be
-- recorded once and alone: the outcome of a PENDING operation, the reconciliation of an
-- unresolved one, the review flag of an unresolved one. Columns added later are "requested"
-- (immutable) unless listed here.
CREATE OR REPLACE FUNCTION operation_guard_update() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    outcome_columns        constant text[] := ARRAY['state', 'toe', 'start_time', 'end_time', 'error_message',
                                                    'upstream_status', 'duration_ms', 'completed_at'];
    reconciliation_columns constant text[] := ARRAY['reconciled_state', 'reconciled_at', 'reconciliation_note',
                                                    'reconciled_by'];
    review_columns         constant text[] := ARRAY['review_reason', 'review_flagged_at'];
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := to_jsonb(NEW);
    outcome_changed        boolean;
    reconciliation_changed boolean;
    review_changed         boolean;
BEGIN
    IF (old_row - outcome_columns - reconciliation_columns - review_columns)
        IS DISTINCT FROM (new_row - outcome_columns - reconciliation_columns - review_columns) THEN
        RAISE EXCEPTION 'operation % is append-only: what was requested cannot change', OLD.operation_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    outcome_changed := (old_row - reconciliation_columns - review_columns)
        IS DISTINCT FROM (new_row - reconciliation_columns - review_columns);
    reconciliation_changed := (old_row - outcome_columns - review_columns)
        IS DISTINCT FROM (new_row - outcome_columns - review_columns);
    review_changed := (old_row - outcome_columns - reconciliation_columns)
        IS DISTINCT FROM (new_row - outcome_columns - reconciliation_columns);
    IF outcome_changed AND NOT reconciliation_changed AND NOT review_changed
        AND OLD.state = 'PENDING' AND NEW.state <> 'PENDING' THEN
        RETURN NEW;
    END IF;
    IF reconciliation_changed AND NOT outcome_changed AND NOT review_changed
        AND OLD.state IN ('PENDING', 'UNKNOWN') AND OLD.reconciled_at IS NULL AND NEW.reconciled_at IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF review_changed AND NOT outcome_changed AND NOT reconciliation_changed
        AND OLD.state IN ('PENDING', 'UNKNOWN') AND OLD.reconciled_at IS NULL
        AND OLD.review_reason IS NULL AND NEW.review_reason IS NOT NULL THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'operation % is append-only: only PENDING may be completed, and an unknown outcome flagged or reconciled, once',
        OLD.operation_id USING ERRCODE = 'integrity_constraint_violation';
END
$$;

-- Idempotency keys belong to a principal as it authenticated: a JWT subject and an API key of the
-- same name never share keys. Keys stored before carry 'unknown' and simply expire.
ALTER TABLE idempotency_key ADD COLUMN auth_method text NOT NULL DEFAULT 'unknown';
ALTER TABLE idempotency_key ALTER COLUMN auth_method DROP DEFAULT;
ALTER TABLE idempotency_key DROP CONSTRAINT pk_idempotency_key;
ALTER TABLE idempotency_key ADD CONSTRAINT pk_idempotency_key PRIMARY KEY (principal, auth_method, idempotency_key);
COMMENT ON COLUMN idempotency_key.auth_method IS 'How the principal authenticated (jwt or api-key): part of the key''s owner';
