-- Runs after every Flyway migrate (a Flyway callback, so it is re-applied when tables are added).
-- Two-role setup: when PROXY_DB_APP_ROLE names the role the application connects as (and Flyway
-- runs as the schema owner), that role may only read, append, and record an outcome, a reconciliation or a review flag; it can
-- neither rewrite nor delete the audit trail, nor disable the triggers, which only the owner can.
DO $$
DECLARE
    app_role text := '${appRole}';
BEGIN
    IF app_role IN ('', '(none)') OR app_role = current_user THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app_role) THEN
        RAISE WARNING 'PROXY_DB_APP_ROLE % does not exist: no grants applied', app_role;
        RETURN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), app_role);
    EXECUTE format('REVOKE ALL ON operation, operation_grant, audit_event, audit_chain_head FROM %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT ON operation, operation_grant, audit_event TO %I', app_role);
    EXECUTE format('GRANT UPDATE (state, toe, start_time, end_time, error_message, upstream_status, duration_ms,'
        ' completed_at, outcome_seq, outcome_prev_hash, outcome_hash, reconciled_state, reconciled_at,'
        ' reconciliation_note, reconciled_by, reconciliation_seq, reconciliation_prev_hash, reconciliation_hash,'
        ' review_reason, review_flagged_at, review_seq, review_prev_hash, review_hash) ON operation TO %I', app_role);
    EXECUTE format('GRANT SELECT, UPDATE (seq, prev_hash, hash) ON audit_chain_head TO %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO %I', app_role);
    EXECUTE format('REVOKE ALL ON principal_last_use FROM %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE (last_used_at, last_client_address, roles, scopes, expires_at)'
        ' ON principal_last_use TO %I', app_role);
    EXECUTE format('REVOKE ALL ON audit_checkpoint, audit_stream_cursor FROM %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT ON audit_checkpoint TO %I', app_role);
    EXECUTE format('GRANT SELECT, UPDATE (seq, hash, delivered_at, holder, lease_until, resend_seq, resend_hash,'
        ' resend_for_seq) ON audit_stream_cursor TO %I', app_role);
    -- Plans are working state, not the audit trail (their transitions are chain events): read,
    -- create and update, never delete.
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON plan, plan_item TO %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT ON plan_approval, plan_event TO %I', app_role);
    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', pg_get_serial_sequence('plan_event', 'seq'), app_role);
    EXECUTE format('GRANT SELECT ON flyway_schema_history TO %I', app_role);
END
$$;
