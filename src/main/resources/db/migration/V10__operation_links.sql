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

-- The guard of V4, and the links: each may be set once, from NULL (with its event, or filled in
-- from it below), and never changed; everything else is guarded as before.
CREATE OR REPLACE FUNCTION operation_guard_update() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    link_columns           constant text[] := ARRAY['intent_seq', 'intent_prev_hash', 'intent_hash',
                                                    'outcome_seq', 'outcome_prev_hash', 'outcome_hash',
                                                    'reconciliation_seq', 'reconciliation_prev_hash',
                                                    'reconciliation_hash', 'review_seq', 'review_prev_hash',
                                                    'review_hash'];
    outcome_columns        constant text[] := ARRAY['state', 'toe', 'start_time', 'end_time', 'error_message',
                                                    'upstream_status', 'duration_ms', 'completed_at'];
    reconciliation_columns constant text[] := ARRAY['reconciled_state', 'reconciled_at', 'reconciliation_note',
                                                    'reconciled_by'];
    review_columns         constant text[] := ARRAY['review_reason', 'review_flagged_at'];
    old_full jsonb := to_jsonb(OLD);
    new_full jsonb := to_jsonb(NEW);
    old_row jsonb := old_full - link_columns;
    new_row jsonb := new_full - link_columns;
    outcome_changed        boolean;
    reconciliation_changed boolean;
    review_changed         boolean;
    column_name            text;
BEGIN
    FOREACH column_name IN ARRAY link_columns LOOP
        IF (old_full -> column_name) IS DISTINCT FROM (new_full -> column_name)
            AND (old_full -> column_name) <> 'null'::jsonb THEN
            RAISE EXCEPTION 'operation % is append-only: its link % is set once', OLD.operation_id, column_name
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    IF old_row = new_row THEN
        IF old_full IS DISTINCT FROM new_full THEN
            RETURN NEW; -- links filled in, nothing else
        END IF;
        RAISE EXCEPTION 'operation % is append-only: an update must record something', OLD.operation_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
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

-- During a rolling upgrade, replicas of an earlier release keep writing for a while: their
-- statements append events without setting the rows' links. This trigger fills a link that is
-- still NULL from the event just appended, in the same statement; for this release's statements
-- the link is already set and it changes nothing. It runs as the schema owner (the application
-- role may not set an intent's link). A later release drops it, once no replica can be older
-- than this one.
CREATE FUNCTION audit_event_copy_link() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS
$$
BEGIN
    CASE NEW.kind
        WHEN 'INTENT' THEN
            UPDATE operation SET intent_seq = NEW.seq, intent_prev_hash = NEW.prev_hash, intent_hash = NEW.hash
             WHERE operation_id = NEW.operation_id AND intent_seq IS NULL;
        WHEN 'OUTCOME' THEN
            UPDATE operation SET outcome_seq = NEW.seq, outcome_prev_hash = NEW.prev_hash, outcome_hash = NEW.hash
             WHERE operation_id = NEW.operation_id AND outcome_seq IS NULL;
        WHEN 'RECONCILIATION' THEN
            UPDATE operation SET reconciliation_seq = NEW.seq, reconciliation_prev_hash = NEW.prev_hash,
                   reconciliation_hash = NEW.hash
             WHERE operation_id = NEW.operation_id AND reconciliation_seq IS NULL;
        WHEN 'REVIEW' THEN
            UPDATE operation SET review_seq = NEW.seq, review_prev_hash = NEW.prev_hash, review_hash = NEW.hash
             WHERE operation_id = NEW.operation_id AND review_seq IS NULL;
        ELSE
            NULL;
    END CASE;
    RETURN NULL;
END
$$;
CREATE TRIGGER trg_audit_event_copy_link AFTER INSERT ON audit_event
    FOR EACH ROW WHEN (NEW.operation_id IS NOT NULL) EXECUTE FUNCTION audit_event_copy_link();
