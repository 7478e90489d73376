-- Part 3 of the benchmark: the plans PostgreSQL chooses for the three filtered pages that run.sh
-- loads, for the other filters of the audit API, and for the export, with the service's own SQL (OperationRows.SELECT, OperationQuery's
-- conditions, newest first; a page is 50 rows plus one to know whether there is a next page).
-- Each page should read its newest rows from one index range: an "Index Scan" on the index named
-- in the plan, no "Sort" and no "Seq Scan" over operation. The export (psql -v export_to=…) should
-- stream: an index scan of operation, no "Sort" (each row carries its chain links since V10, so
-- there is no join; the service streams with enable_sort off, as below). The CSV export runs its
-- query in a COPY, whose bound is a transaction setting (Ledger.copyRows), as below; its select
-- list (OperationField) changes no plan. Adapt :select when OperationRows.SELECT changes. The three
-- timed pages are wrapped as the service wraps every page (RowPage.bounded: the page ends at 1 MiB
-- of scopes), which adds a WindowAgg over its 51 rows and leaves the index scan under it as it was.

\set ON_ERROR_STOP on
\pset pager off

\set select 'SELECT o.* FROM operation o'
\set newest_first 'ORDER BY o.requested_at DESC, o.operation_id DESC'
\set bounded 'SELECT * FROM (SELECT page.*, count(*) OVER () AS page_rows, sum(coalesce(octet_length(scopes), 0)) OVER (ORDER BY requested_at DESC, operation_id DESC ROWS UNBOUNDED PRECEDING) - (coalesce(octet_length(scopes), 0)) AS page_bytes_before FROM ('
\set bounded_end ') page) sized WHERE page_bytes_before < 1048576 ORDER BY requested_at DESC, operation_id DESC'

\echo '### datasourceId=ds-4242'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:bounded :select WHERE datasource_key(o.datasource_id) = 'ds-4242' :newest_first LIMIT 51 :bounded_end;

\echo '### requestedBy=svc-7&from=2025-06-01T00:00:00Z&to=2025-06-08T00:00:00Z'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:bounded :select WHERE o.requested_by = 'svc-7' AND o.requested_at >= '2025-06-01T00:00:00Z'
    AND o.requested_at < '2025-06-08T00:00:00Z' :newest_first LIMIT 51 :bounded_end;

\echo '### state=UNKNOWN'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:bounded :select WHERE o.state = 'UNKNOWN' :newest_first LIMIT 51 :bounded_end;

-- The other filters of GET /api/v1/audit/operations (no page of them is timed): each reads one index
-- range as the three above do, or, where its value is common (an account of a seventh of the rows,
-- a direction), the newest rows in order, filtered, which reach 51 matches after a few hundred rows;
-- PostgreSQL takes the filter's own index when the value is rare.
\echo '### accountId=3 (a seventh of the rows)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:select WHERE o.account_id = '3' :newest_first LIMIT 51;

\echo '### direction=V2_TO_V1 (a fifth of the rows)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:select WHERE o.direction = 'V2_TO_V1' :newest_first LIMIT 51;

\echo '### planId=… (the seeded rows belong to no plan)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:select WHERE o.plan_id = '00000000-0000-0000-0000-000000000001' :newest_first LIMIT 51;

\echo '### needsReview=true (the seeded rows are flagged for no one)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON)
:select WHERE o.review_reason IS NOT NULL AND o.reconciled_at IS NULL :newest_first LIMIT 51;

\echo '### export: to=' :export_to ' (the plan only; streamed reads run with sorting off, as the service sets it)'
BEGIN;
SET LOCAL enable_sort = off;
SELECT set_config('domo_migration_proxy.copy_1', :'export_to', true) IS NOT NULL AS bound;
EXPLAIN (COSTS OFF)
:select WHERE o.requested_at < current_setting('domo_migration_proxy.copy_1')::timestamptz :newest_first;
ROLLBACK;
