-- Part 3 of the benchmark: the plans PostgreSQL chooses for the three filtered pages that run.sh
-- loads and for the export, with the service's own SQL (OperationRows.SELECT, OperationQuery's
-- conditions, newest first; a page is 50 rows plus one to know whether there is a next page).
-- Each page should read its newest rows from one index range: an "Index Scan" on the index named
-- in the plan, no "Sort" and no "Seq Scan" over operation. The export (psql -v export_to=…) should
-- stream: a "Nested Loop" over an index scan of operation, no "Sort". Adapt :select when
-- OperationRows.SELECT changes.

\set ON_ERROR_STOP on
\pset pager off

\set select 'SELECT o.*, l.* FROM operation o CROSS JOIN LATERAL (SELECT max(e.seq) FILTER (WHERE e.kind = ''INTENT'') AS intent_seq, max(e.prev_hash) FILTER (WHERE e.kind = ''INTENT'') AS intent_prev_hash, max(e.hash) FILTER (WHERE e.kind = ''INTENT'') AS intent_hash, max(e.seq) FILTER (WHERE e.kind = ''OUTCOME'') AS outcome_seq, max(e.prev_hash) FILTER (WHERE e.kind = ''OUTCOME'') AS outcome_prev_hash, max(e.hash) FILTER (WHERE e.kind = ''OUTCOME'') AS outcome_hash, max(e.seq) FILTER (WHERE e.kind = ''RECONCILIATION'') AS reconciliation_seq, max(e.prev_hash) FILTER (WHERE e.kind = ''RECONCILIATION'') AS reconciliation_prev_hash, max(e.hash) FILTER (WHERE e.kind = ''RECONCILIATION'') AS reconciliation_hash, max(e.seq) FILTER (WHERE e.kind = ''REVIEW'') AS review_seq, max(e.prev_hash) FILTER (WHERE e.kind = ''REVIEW'') AS review_prev_hash, max(e.hash) FILTER (WHERE e.kind = ''REVIEW'') AS review_hash FROM audit_event e WHERE e.operation_id = o.operation_id) l'
\set newest_first 'ORDER BY o.requested_at DESC, o.operation_id DESC'

\echo '### datasourceId=ds-4242'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:select WHERE o.datasource_id = 'ds-4242' :newest_first LIMIT 51;

\echo '### requestedBy=svc-7&from=2025-06-01T00:00:00Z&to=2025-06-08T00:00:00Z'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:select WHERE o.requested_by = 'svc-7' AND o.requested_at >= '2025-06-01T00:00:00Z'
    AND o.requested_at < '2025-06-08T00:00:00Z' :newest_first LIMIT 51;

\echo '### state=UNKNOWN'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:select WHERE o.state = 'UNKNOWN' :newest_first LIMIT 51;

\echo '### export: to=' :export_to ' (the plan only)'
EXPLAIN (COSTS OFF)
:select WHERE o.requested_at < :'export_to' :newest_first;
