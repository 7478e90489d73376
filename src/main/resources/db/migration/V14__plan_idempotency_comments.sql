-- Plan uploads take an Idempotency-Key too, in the same table: the key's operation_id then holds the
-- plan the first upload created, linked in the transaction that stored it.
COMMENT ON TABLE idempotency_key IS
    'Idempotency-Key of migrate/reverse requests and plan uploads per principal, kept for the retention period';
COMMENT ON COLUMN idempotency_key.fingerprint IS
    'sha256 of the request (direction, datasource, body; for a plan, its content hash): a reuse with another request is refused';
COMMENT ON COLUMN idempotency_key.operation_id IS
    'The operation the first request recorded, or the plan the first upload created, once stored';
COMMENT ON COLUMN idempotency_key.response_body IS
    'The stored answer replayed to repeats (an Operation or a problem; for a plan upload, the plan id)';
