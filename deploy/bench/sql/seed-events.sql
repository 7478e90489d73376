-- Part 3 of the benchmark: the chain events of the :rows oldest operations (psql -v rows=1000000),
-- an INTENT and an OUTCOME each, as the service writes them for every operation; the export reads
-- them with every row (its intent*/outcome* columns). Appended after the chain's head, which is
-- then moved to the last of them, so that the service goes on appending where they end.
--
-- The hashes are stand-ins (sha256 of the position), not a chain a verifier would accept: the
-- benchmark measures reading links, not verifying them. Moving the head past many links at once
-- is what its guard trigger forbids, so the owner disables it for this one transaction.

\set ON_ERROR_STOP on

BEGIN;
LOCK TABLE audit_chain_head;
CREATE TEMPORARY TABLE seed_head ON COMMIT DROP AS SELECT seq FROM audit_chain_head;

INSERT INTO audit_event (seq, operation_id, kind, recorded_at, prev_hash, hash)
SELECT h.seq + 2 * o.n - 1 + k, o.operation_id, CASE k WHEN 0 THEN 'INTENT' ELSE 'OUTCOME' END,
       o.requested_at + k * interval '2 s',
       encode(sha256(('seed-' || (h.seq + 2 * o.n - 2 + k))::bytea), 'hex'),
       encode(sha256(('seed-' || (h.seq + 2 * o.n - 1 + k))::bytea), 'hex')
FROM (SELECT operation_id, requested_at, row_number() OVER (ORDER BY requested_at, operation_id) AS n
      FROM operation ORDER BY requested_at, operation_id LIMIT :rows) AS o
CROSS JOIN generate_series(0, 1) AS k
CROSS JOIN seed_head AS h;

ALTER TABLE audit_chain_head DISABLE TRIGGER trg_audit_chain_head_guard;
UPDATE audit_chain_head
   SET (seq, prev_hash, hash) = (SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq DESC LIMIT 1);
ALTER TABLE audit_chain_head ENABLE TRIGGER trg_audit_chain_head_guard;
COMMIT;

VACUUM (ANALYZE) audit_event;
