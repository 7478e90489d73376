-- Part 3 of the benchmark: the plans PostgreSQL chooses for the three filtered pages that run.sh
-- loads, with the service's own SQL (OperationRows.SELECT, OperationQuery's conditions, newest
-- first, a page of 50 plus one to know whether there is a next page). Each filter should read its
-- newest rows from one index range: an "Index Scan" on the index named in the plan, no "Sort" and
-- no "Seq Scan" over operation. Adapt this file when those queries change.

\set ON_ERROR_STOP on
\pset pager off

\echo '### datasourceId=ds-4242'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
SELECT o.*,
       i.seq AS intent_seq, i.prev_hash AS intent_prev_hash, i.hash AS intent_hash,
       c.seq AS outcome_seq, c.prev_hash AS outcome_prev_hash, c.hash AS outcome_hash,
       r.seq AS reconciliation_seq, r.prev_hash AS reconciliation_prev_hash, r.hash AS reconciliation_hash,
       v.seq AS review_seq, v.prev_hash AS review_prev_hash, v.hash AS review_hash
FROM operation o
LEFT JOIN audit_event i ON i.operation_id = o.operation_id AND i.kind = 'INTENT'
LEFT JOIN audit_event c ON c.operation_id = o.operation_id AND c.kind = 'OUTCOME'
LEFT JOIN audit_event r ON r.operation_id = o.operation_id AND r.kind = 'RECONCILIATION'
LEFT JOIN audit_event v ON v.operation_id = o.operation_id AND v.kind = 'REVIEW'
WHERE o.datasource_id = 'ds-4242'
ORDER BY o.requested_at DESC, o.operation_id DESC LIMIT 51;

\echo '### requestedBy=svc-7&from=2025-06-01T00:00:00Z&to=2025-06-08T00:00:00Z'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
SELECT o.*,
       i.seq AS intent_seq, i.prev_hash AS intent_prev_hash, i.hash AS intent_hash,
       c.seq AS outcome_seq, c.prev_hash AS outcome_prev_hash, c.hash AS outcome_hash,
       r.seq AS reconciliation_seq, r.prev_hash AS reconciliation_prev_hash, r.hash AS reconciliation_hash,
       v.seq AS review_seq, v.prev_hash AS review_prev_hash, v.hash AS review_hash
FROM operation o
LEFT JOIN audit_event i ON i.operation_id = o.operation_id AND i.kind = 'INTENT'
LEFT JOIN audit_event c ON c.operation_id = o.operation_id AND c.kind = 'OUTCOME'
LEFT JOIN audit_event r ON r.operation_id = o.operation_id AND r.kind = 'RECONCILIATION'
LEFT JOIN audit_event v ON v.operation_id = o.operation_id AND v.kind = 'REVIEW'
WHERE o.requested_by = 'svc-7' AND o.requested_at >= '2025-06-01T00:00:00Z' AND o.requested_at < '2025-06-08T00:00:00Z'
ORDER BY o.requested_at DESC, o.operation_id DESC LIMIT 51;

\echo '### state=UNKNOWN'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
SELECT o.*,
       i.seq AS intent_seq, i.prev_hash AS intent_prev_hash, i.hash AS intent_hash,
       c.seq AS outcome_seq, c.prev_hash AS outcome_prev_hash, c.hash AS outcome_hash,
       r.seq AS reconciliation_seq, r.prev_hash AS reconciliation_prev_hash, r.hash AS reconciliation_hash,
       v.seq AS review_seq, v.prev_hash AS review_prev_hash, v.hash AS review_hash
FROM operation o
LEFT JOIN audit_event i ON i.operation_id = o.operation_id AND i.kind = 'INTENT'
LEFT JOIN audit_event c ON c.operation_id = o.operation_id AND c.kind = 'OUTCOME'
LEFT JOIN audit_event r ON r.operation_id = o.operation_id AND r.kind = 'RECONCILIATION'
LEFT JOIN audit_event v ON v.operation_id = o.operation_id AND v.kind = 'REVIEW'
WHERE o.state = 'UNKNOWN'
ORDER BY o.requested_at DESC, o.operation_id DESC LIMIT 51;
