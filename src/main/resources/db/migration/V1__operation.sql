-- The audit trail of migrations and reversals: one row per requested operation, written PENDING
-- before Domo is called and completed once with the outcome.

CREATE TABLE operation (
    operation_id    uuid        NOT NULL,
    direction       text        NOT NULL,
    datasource_id   text        NOT NULL,
    account_id      text,
    catalog_name    text,
    schema_name     text,
    table_name      text,
    requested_by    text        NOT NULL,
    auth_method     text        NOT NULL,
    request_id      text        NOT NULL,
    client_address  text,
    requested_at    timestamptz NOT NULL,
    state           text        NOT NULL,
    toe             text,
    start_time      text,
    end_time        text,
    error_message   text,
    upstream_status integer,
    duration_ms     bigint,
    completed_at    timestamptz,
    CONSTRAINT pk_operation PRIMARY KEY (operation_id),
    CONSTRAINT ck_operation_direction CHECK (direction IN ('V1_TO_V2', 'V2_TO_V1')),
    CONSTRAINT ck_operation_state
        CHECK (state IN ('PENDING', 'COMPLETE', 'INCOMPLETE', 'ABORTED', 'FAILED', 'UNKNOWN')),
    CONSTRAINT ck_operation_migration_target CHECK (
        (direction = 'V1_TO_V2' AND account_id IS NOT NULL AND catalog_name IS NOT NULL
            AND schema_name IS NOT NULL AND table_name IS NOT NULL)
        OR (direction = 'V2_TO_V1' AND account_id IS NULL AND catalog_name IS NULL
            AND schema_name IS NULL AND table_name IS NULL)),
    CONSTRAINT ck_operation_completed CHECK ((state = 'PENDING') = (completed_at IS NULL))
);

COMMENT ON TABLE operation IS
    'Audit trail: every migration (V1_TO_V2) and reversal (V2_TO_V1) requested through the proxy. Append-only.';
COMMENT ON COLUMN operation.requested_by IS 'Principal: JWT upn/preferred_username/sub, or the API key name';
COMMENT ON COLUMN operation.auth_method IS 'How the principal authenticated: jwt or api-key';
COMMENT ON COLUMN operation.request_id IS 'X-Request-Id of the request, to join with logs';
COMMENT ON COLUMN operation.state IS
    'PENDING until the outcome is known; COMPLETE/INCOMPLETE/ABORTED as Domo reported; FAILED (no Domo result); UNKNOWN (no answer in time)';
COMMENT ON COLUMN operation.toe IS 'Domo''s request id, which Domo support asks for';
COMMENT ON COLUMN operation.start_time IS 'Domo''s startTime, verbatim';
COMMENT ON COLUMN operation.end_time IS 'Domo''s endTime, verbatim';
COMMENT ON COLUMN operation.upstream_status IS 'HTTP status Domo answered with; NULL when no answer came';
COMMENT ON COLUMN operation.duration_ms IS 'Time spent waiting for Domo';
COMMENT ON COLUMN operation.completed_at IS 'When the outcome was recorded; NULL while PENDING';

-- One operation in flight per datasource, whichever replica took it.
CREATE UNIQUE INDEX uq_operation_in_flight ON operation (datasource_id) WHERE state = 'PENDING';

CREATE INDEX ix_operation_requested_at ON operation (requested_at DESC, operation_id DESC);
CREATE INDEX ix_operation_datasource ON operation (datasource_id, requested_at DESC, operation_id DESC);

-- Append-only, enforced by the database: a row may only go once from PENDING to an outcome,
-- without touching what was requested; nothing is ever deleted.
CREATE FUNCTION operation_guard_update() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF OLD.state <> 'PENDING' OR NEW.state = 'PENDING' THEN
        RAISE EXCEPTION 'operation % is append-only: only PENDING may be completed, once', OLD.operation_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.operation_id, NEW.direction, NEW.datasource_id, NEW.account_id, NEW.catalog_name, NEW.schema_name,
        NEW.table_name, NEW.requested_by, NEW.auth_method, NEW.request_id, NEW.client_address, NEW.requested_at)
        IS DISTINCT FROM
       (OLD.operation_id, OLD.direction, OLD.datasource_id, OLD.account_id, OLD.catalog_name, OLD.schema_name,
        OLD.table_name, OLD.requested_by, OLD.auth_method, OLD.request_id, OLD.client_address, OLD.requested_at)
    THEN
        RAISE EXCEPTION 'operation % is append-only: what was requested cannot change', OLD.operation_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION audit_forbid_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER trg_operation_guard_update BEFORE UPDATE ON operation
    FOR EACH ROW EXECUTE FUNCTION operation_guard_update();
CREATE TRIGGER trg_operation_forbid_delete BEFORE DELETE ON operation
    FOR EACH ROW EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER trg_operation_forbid_truncate BEFORE TRUNCATE ON operation
    FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change();
