-- Part 3 of the benchmark: the chain events of the :rows oldest operations (psql -v rows=1000000),
-- an INTENT and an OUTCOME each, as the service writes them for every operation, and their links
-- copied onto the rows, where the export reads them (its intent*/outcome* columns). Appended after
-- the chain's head, which is then moved to the last of them, so that the service goes on
-- appending where they end.
--
-- The hashes are stand-ins (sha256 of the position), not a chain a verifier would accept: the
-- benchmark measures reading links, not verifying them. Moving the head past many links at once
-- is what its guard trigger forbids, so the owner disables it for this one transaction.

\set ON_ERROR_STOP on

BEGIN;
LOCK TABLE audit_chain_head;
CREATE TEMPORARY TABLE seed_head ON COMMIT DROP AS SELECT seq FROM audit_chain_head;

-- The rows' links are set in one UPDATE below, not one by one by the trigger that fills them for
-- an earlier release's writers.
ALTER TABLE audit_event DISABLE TRIGGER trg_audit_event_copy_link;
INSERT INTO audit_event (seq, operation_id, kind, recorded_at, prev_hash, hash)
SELECT h.seq + 2 * o.n - 1 + k, o.operation_id, CASE k WHEN 0 THEN 'INTENT' ELSE 'OUTCOME' END,
       o.requested_at + k * interval '2 s',
       encode(sha256(('seed-' || (h.seq + 2 * o.n - 2 + k))::bytea), 'hex'),
       encode(sha256(('seed-' || (h.seq + 2 * o.n - 1 + k))::bytea), 'hex')
FROM (SELECT operation_id, requested_at, row_number() OVER (ORDER BY requested_at, operation_id) AS n
      FROM operation ORDER BY requested_at, operation_id LIMIT :rows) AS o
CROSS JOIN generate_series(0, 1) AS k
CROSS JOIN seed_head AS h;

-- Each operation row keeps a copy of its events' links (V10), written with each event by the
-- service; here in one UPDATE, which the row's update guard would refuse for the intent's link.
ALTER TABLE operation DISABLE TRIGGER trg_operation_guard_update;
UPDATE operation o
   SET intent_seq = i.seq, intent_prev_hash = i.prev_hash, intent_hash = i.hash,
       outcome_seq = u.seq, outcome_prev_hash = u.prev_hash, outcome_hash = u.hash
  FROM audit_event i
  JOIN audit_event u ON u.operation_id = i.operation_id AND u.kind = 'OUTCOME'
 WHERE i.operation_id = o.operation_id AND i.kind = 'INTENT' AND i.seq > (SELECT seq FROM seed_head);
ALTER TABLE operation ENABLE TRIGGER trg_operation_guard_update;
ALTER TABLE audit_event ENABLE TRIGGER trg_audit_event_copy_link;

ALTER TABLE audit_chain_head DISABLE TRIGGER trg_audit_chain_head_guard;
UPDATE audit_chain_head
   SET (seq, prev_hash, hash) = (SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq DESC LIMIT 1);
ALTER TABLE audit_chain_head ENABLE TRIGGER trg_audit_chain_head_guard;
COMMIT;

VACUUM (ANALYZE) audit_event;
VACUUM (ANALYZE) operation;
