-- Each operation row carries its own links in the hash chain (seq, prev_hash, hash of its INTENT,
-- OUTCOME, RECONCILIATION and REVIEW events), written by the same statement that appends the
-- event, so that reading operations with their links (the audit pages, the CSV export) is one
-- index range of this table instead of a probe of audit_event per row. The events stay what the
-- hashes cover; these columns are a copy that the update guard lets be set once, with the event,
-- and that the verifier compares with the events (a row whose links differ fails verification).

ALTER TABLE operation
    ADD COLUMN intent_seq               bigint,
    ADD COLUMN intent_prev_hash         char(64),
    ADD COLUMN intent_hash              char(64),
    ADD COLUMN outcome_seq              bigint,
    ADD COLUMN outcome_prev_hash        char(64),
    ADD COLUMN outcome_hash             char(64),
    ADD COLUMN reconciliation_seq       bigint,
    ADD COLUMN reconciliation_prev_hash char(64),
    ADD COLUMN reconciliation_hash      char(64),
    ADD COLUMN review_seq               bigint,
    ADD COLUMN review_prev_hash         char(64),
    ADD COLUMN review_hash              char(64),
    ADD CONSTRAINT ck_operation_links CHECK (
        num_nulls(intent_seq, intent_prev_hash, intent_hash) IN (0, 3)
        AND num_nulls(outcome_seq, outcome_prev_hash, outcome_hash) IN (0, 3)
        AND num_nulls(reconciliation_seq, reconciliation_prev_hash, reconciliation_hash) IN (0, 3)
        AND num_nulls(review_seq, review_prev_hash, review_hash) IN (0, 3));

COMMENT ON COLUMN operation.intent_seq IS 'Copy of the INTENT event''s seq (with intent_prev_hash, intent_hash), written with it; the verifier compares them';
COMMENT ON COLUMN operation.outcome_seq IS 'Copy of the OUTCOME event''s seq (with outcome_prev_hash, outcome_hash), written with it; NULL while PENDING';
COMMENT ON COLUMN operation.reconciliation_seq IS 'Copy of the RECONCILIATION event''s seq (with reconciliation_prev_hash, reconciliation_hash), written with it';
COMMENT ON COLUMN operation.review_seq IS 'Copy of the REVIEW event''s seq (with review_prev_hash, review_hash), written with it';

-- The rows written before: their links from their events, in one pass over audit_event. The update
-- guard forbids changing a row's requested columns, which the intent link is, so it is lifted for
-- this transaction only (Flyway runs the migration in one).
ALTER TABLE operation DISABLE TRIGGER trg_operation_guard_update;
UPDATE operation o
   SET intent_seq = l.intent_seq, intent_prev_hash = l.intent_prev_hash, intent_hash = l.intent_hash,
       outcome_seq = l.outcome_seq, outcome_prev_hash = l.outcome_prev_hash, outcome_hash = l.outcome_hash,
       reconciliation_seq = l.reconciliation_seq, reconciliation_prev_hash = l.reconciliation_prev_hash,
       reconciliation_hash = l.reconciliation_hash,
       review_seq = l.review_seq, review_prev_hash = l.review_prev_hash, review_hash = l.review_hash
  FROM (SELECT e.operation_id,
               max(e.seq) FILTER (WHERE e.kind = 'INTENT') AS intent_seq,
               max(e.prev_hash) FILTER (WHERE e.kind = 'INTENT') AS intent_prev_hash,
               max(e.hash) FILTER (WHERE e.kind = 'INTENT') AS intent_hash,
               max(e.seq) FILTER (WHERE e.kind = 'OUTCOME') AS outcome_seq,
               max(e.prev_hash) FILTER (WHERE e.kind = 'OUTCOME') AS outcome_prev_hash,
               max(e.hash) FILTER (WHERE e.kind = 'OUTCOME') AS outcome_hash,
               max(e.seq) FILTER (WHERE e.kind = 'RECONCILIATION') AS reconciliation_seq,
               max(e.prev_hash) FILTER (WHERE e.kind = 'RECONCILIATION') AS reconciliation_prev_hash,
               max(e.hash) FILTER (WHERE e.kind = 'RECONCILIATION') AS reconciliation_hash,
               max(e.seq) FILTER (WHERE e.kind = 'REVIEW') AS review_seq,
               max(e.prev_hash) FILTER (WHERE e.kind = 'REVIEW') AS review_prev_hash,
               max(e.hash) FILTER (WHERE e.kind = 'REVIEW') AS review_hash
          FROM audit_event e
         WHERE e.operation_id IS NOT NULL
         GROUP BY e.operation_id) l
 WHERE o.operation_id = l.operation_id;
ALTER TABLE operation ENABLE TRIGGER trg_operation_guard_update;

-- The guard of V4, with each link in the group of columns it is written with: the intent's link
-- is requested (set on INSERT, never changed), the others are set once with their outcome,
-- reconciliation or review flag.
CREATE OR REPLACE FUNCTION operation_guard_update() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    outcome_columns        constant text[] := ARRAY['state', 'toe', 'start_time', 'end_time', 'error_message',
                                                    'upstream_status', 'duration_ms', 'completed_at',
                                                    'outcome_seq', 'outcome_prev_hash', 'outcome_hash'];
    reconciliation_columns constant text[] := ARRAY['reconciled_state', 'reconciled_at', 'reconciliation_note',
                                                    'reconciled_by', 'reconciliation_seq',
                                                    'reconciliation_prev_hash', 'reconciliation_hash'];
    review_columns         constant text[] := ARRAY['review_reason', 'review_flagged_at', 'review_seq',
                                                    'review_prev_hash', 'review_hash'];
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
