-- Part 2 baseline: the SQL that audit.AuditTrail and audit.AuditChain send for one operation, at the
-- least cost (no HTTP, no JSON, no ORM). Two transactions, as the service commits them:
--   1. the PENDING row and its INTENT event, committed before Domo is called;
--   2. the outcome (an UPDATE that only a PENDING row matches) and its OUTCOME event.
-- Each event takes the chain's advisory lock (AuditChain.CHAIN_LOCK) until commit and links to the
-- newest event, the hash computed in the INSERT as the service does. The payloads stand in for the
-- canonical JSON, at its usual length ("key"=value: pgbench would read :name in a literal as a variable).
\set n random(1, 2000000000)
BEGIN;
INSERT INTO operation (operation_id, direction, datasource_id, account_id, catalog_name, schema_name, table_name,
                       requested_by, auth_method, request_id, client_address, requested_at, state)
VALUES (gen_random_uuid(), 'V1_TO_V2', 'pgbench-' || :client_id || '-' || :n, '1', 'BenchCatalog', 'BenchSchema',
        'BenchTable', 'bench', 'api-key', md5(:n::text), '127.0.0.1', now(), 'PENDING')
RETURNING operation_id \gset
SELECT count(*) FROM (SELECT pg_advisory_xact_lock(7237123451351557225)) AS chain_lock;
INSERT INTO audit_event (operation_id, kind, prev_hash, hash)
SELECT :operation_id::uuid, 'INTENT', prev.hash, encode(sha256(convert_to(prev.hash || chr(10)
       || '{"accountId"="1","authMethod"="api-key","catalog"="BenchCatalog","clientAddress"="127.0.0.1",'
       || '"datasourceId"="pgbench-' || :n::text || '","direction"="V1_TO_V2","event"="INTENT","operationId"="'
       || :operation_id::text || '","requestId"="' || md5(:n::text) || '","requestedAt"="2026-11-28T06:00:00.000001Z",'
       || '"requestedBy"="bench","schema"="BenchSchema","table"="BenchTable"}', 'UTF8')), 'hex')
  FROM (SELECT coalesce((SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1), repeat('0', 64)) AS hash) AS prev;
END;
BEGIN;
UPDATE operation
   SET state = 'COMPLETE', toe = 'BENCH-' || :n, start_time = '2026-01-01T00:00:00+00:00',
       end_time = '2026-01-01T00:00:00+00:00', error_message = NULL, upstream_status = 200, duration_ms = 1,
       completed_at = now()
 WHERE operation_id = :operation_id AND state = 'PENDING';
SELECT count(*) FROM (SELECT pg_advisory_xact_lock(7237123451351557225)) AS chain_lock;
INSERT INTO audit_event (operation_id, kind, prev_hash, hash)
SELECT :operation_id::uuid, 'OUTCOME', prev.hash, encode(sha256(convert_to(prev.hash || chr(10)
       || '{"completedAt"="2026-11-28T06:00:00.000002Z","durationMs"=1,"endTime"="2026-01-01T00:00:00+00:00",'
       || '"errorMessage"=null,"event"="OUTCOME","operationId"="' || :operation_id::text || '",'
       || '"startTime"="2026-01-01T00:00:00+00:00","state"="COMPLETE","toe"="BENCH-' || :n::text || '","upstreamStatus"=200}',
       'UTF8')), 'hex')
  FROM (SELECT coalesce((SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1), repeat('0', 64)) AS hash) AS prev;
END;
