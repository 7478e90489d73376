-- Part 2 baseline without the hash chain: the operation row alone, as a plain audit table would
-- write it. The INSERT of the PENDING row (committed before Domo is called), then the UPDATE to the
-- outcome, each its own transaction (autocommit here), as audit.AuditTrail does them.
\set n random(1, 2000000000)
INSERT INTO operation (operation_id, direction, datasource_id, account_id, catalog_name, schema_name, table_name,
                       requested_by, auth_method, request_id, client_address, requested_at, state, toe, start_time,
                       end_time, error_message, upstream_status, duration_ms, completed_at)
VALUES (gen_random_uuid(), 'V1_TO_V2', 'pgbench-' || :client_id || '-' || :n, '1', 'BenchCatalog', 'BenchSchema',
        'BenchTable', 'bench', 'api-key', md5(:n::text), '127.0.0.1', now(), 'PENDING', NULL, NULL, NULL, NULL,
        NULL, NULL, NULL)
RETURNING operation_id \gset
UPDATE operation
   SET state = 'COMPLETE', toe = 'BENCH-' || :n, start_time = '2026-01-01T00:00:00+00:00',
       end_time = '2026-01-01T00:00:00+00:00', error_message = NULL, upstream_status = 200, duration_ms = 1,
       completed_at = now()
 WHERE operation_id = :operation_id AND (state = 'PENDING') IS TRUE;
