-- Part 2 baseline: the SQL that ledger.OperationStore and ledger.HashChain send for one operation,
-- at the least cost (no HTTP, no JSON, no connection pool). Two statements, each sent outside a
-- transaction block as the service sends them for a request without an Idempotency-Key
-- (PostgreSQL commits each one itself):
--   1. the PENDING row and its INTENT event, committed before Domo is called;
--   2. the outcome (an UPDATE that only a PENDING row matches, locked and tested first) and its
--      OUTCOME event.
-- The row keeps a copy of each event's link, so the head advances first and the row's INSERT or
-- UPDATE takes the link the head returns.
-- Each event advances the one-row chain head (its row lock serialises appenders until commit) and
-- is inserted from what the head's UPDATE returns, the hash computed by PostgreSQL as the service
-- has it. The payloads stand in for the canonical JSON, at its usual length ("key"=value: pgbench
-- would read :name in a literal as a variable).
\set n random(1, 2000000000)
WITH ids AS (SELECT gen_random_uuid() AS id),
head AS (
    UPDATE audit_chain_head
       SET seq = seq + 1, prev_hash = hash,
           hash = encode(sha256(convert_to(hash || chr(10)
               || '{"accountId"="1","authMethod"="api-key","catalog"="BenchCatalog","clientAddress"="127.0.0.1",'
               || '"datasourceId"="pgbench-' || :n::text || '","direction"="V1_TO_V2","event"="INTENT","operationId"="'
               || (SELECT id FROM ids)::text || '","requestId"="' || md5(:n::text) || '","requestedAt"="2026-11-28T06:00:00.000001Z",'
               || '"requestedBy"="bench","schema"="BenchSchema","table"="BenchTable"}', 'UTF8')), 'hex')
     WHERE id = 1
 RETURNING seq, prev_hash, hash),
changed AS (
    INSERT INTO operation (operation_id, direction, datasource_id, account_id, catalog_name, schema_name, table_name,
                           requested_by, requested_at, request_id, auth_method, client_address, plan_id, scopes_digest, state,
                           intent_seq, intent_prev_hash, intent_hash)
    SELECT (SELECT id FROM ids), 'V1_TO_V2', 'pgbench-' || :client_id || '-' || :n, '1', 'BenchCatalog', 'BenchSchema',
           'BenchTable', 'bench', now(), md5(:n::text), 'api-key', '127.0.0.1', NULL, operation_grant_digest('{}'), 'PENDING',
           head.seq, head.prev_hash, head.hash FROM head)
INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash)
SELECT head.seq, (SELECT id FROM ids), 'INTENT', NULL, NULL, head.prev_hash, head.hash FROM head
RETURNING operation_id \gset
WITH target AS (
    SELECT operation_id FROM operation
     WHERE operation_id = :operation_id AND ((state = 'PENDING') IS TRUE AND reconciled_at IS NULL) FOR UPDATE),
head AS (
    UPDATE audit_chain_head
       SET seq = seq + 1, prev_hash = hash,
           hash = encode(sha256(convert_to(hash || chr(10)
               || '{"completedAt"="2026-11-28T06:00:00.000002Z","durationMs"=1,"endTime"="2026-01-01T00:00:00+00:00",'
               || '"errorMessage"=null,"event"="OUTCOME","operationId"="' || :operation_id::text || '",'
               || '"startTime"="2026-01-01T00:00:00+00:00","state"="COMPLETE","toe"="BENCH-' || :n::text || '","upstreamStatus"=200}',
               'UTF8')), 'hex')
     WHERE id = 1 AND EXISTS (SELECT 1 FROM target)
 RETURNING seq, prev_hash, hash),
changed AS (
    UPDATE operation
       SET state = 'COMPLETE', toe = 'BENCH-' || :n, start_time = '2026-01-01T00:00:00+00:00',
           end_time = '2026-01-01T00:00:00+00:00', error_message = NULL, upstream_status = 200, duration_ms = 1,
           completed_at = now(), outcome_seq = head.seq, outcome_prev_hash = head.prev_hash, outcome_hash = head.hash
      FROM head
     WHERE operation_id = :operation_id)
INSERT INTO audit_event (seq, operation_id, kind, subject, payload, prev_hash, hash)
SELECT seq, :operation_id::uuid, 'OUTCOME', NULL, NULL, prev_hash, hash FROM head;
