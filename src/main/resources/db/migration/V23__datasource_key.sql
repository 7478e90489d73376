-- Domo's datasource ids are UUIDs, whose letters are case-insensitive: one data source sent in either
-- case must hold one lock, have one trail and be found by one filter. Rows keep the id as it was sent
-- (and as Domo was called with it); comparisons go through this key: a UUID in lower case, any other
-- id as it is (DatasourceIds in the service states the same rule).
CREATE FUNCTION datasource_key(id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN id ~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
                      THEN lower(id) ELSE id END $$;

COMMENT ON FUNCTION datasource_key(text) IS 'The form a datasource id is compared in: a UUID in lower case, any other id as it is';

-- Built beside the old indexes (writes wait, reads go on), then swapped in under the old names at the
-- end, so that reads wait only for the swap. The unique build fails, naming uq_operation_in_flight_key,
-- if one data source already has two unresolved operations under two spellings: a person resolves one
-- of them (POST /operations/{id}/reconciliation) before this migration can run.
CREATE UNIQUE INDEX uq_operation_in_flight_key ON operation (datasource_key(datasource_id))
    WHERE state IN ('PENDING', 'UNKNOWN') AND reconciled_at IS NULL;
CREATE INDEX ix_operation_datasource_key ON operation (datasource_key(datasource_id), requested_at DESC, operation_id DESC);

DROP INDEX uq_operation_in_flight;
ALTER INDEX uq_operation_in_flight_key RENAME TO uq_operation_in_flight;
DROP INDEX ix_operation_datasource;
ALTER INDEX ix_operation_datasource_key RENAME TO ix_operation_datasource;

-- V22's released_at now names the claim that was released (its created_at): a later claim of the key,
-- which sets a new created_at (by a pod of the release before V22 too), is live again.
COMMENT ON COLUMN idempotency_key.released_at IS 'The created_at of the claim that was given up without an answer to keep: while it equals created_at, a repeat of the same request runs again and another request is refused (422)';
