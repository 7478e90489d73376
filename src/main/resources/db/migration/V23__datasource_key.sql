-- Domo's datasource ids are UUIDs, whose letters are case-insensitive: one data source sent in either
-- case must hold one lock, have one trail and be found by one filter. Rows keep the id as it was sent
-- (and as Domo was called with it); comparisons go through this key: a UUID in lower case, any other
-- id as it is (DatasourceIds in the service states the same rule).
CREATE FUNCTION datasource_key(id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN id ~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
                      THEN lower(id) ELSE id END $$;

COMMENT ON FUNCTION datasource_key(text) IS 'The form a datasource id is compared in: a UUID in lower case, any other id as it is';

-- Fails, naming the index, if one data source already has two unresolved operations under two spellings:
-- a person resolves one of them (POST /operations/{id}/reconciliation) before this migration can run.
DROP INDEX uq_operation_in_flight;
CREATE UNIQUE INDEX uq_operation_in_flight ON operation (datasource_key(datasource_id))
    WHERE state IN ('PENDING', 'UNKNOWN') AND reconciled_at IS NULL;

DROP INDEX ix_operation_datasource;
CREATE INDEX ix_operation_datasource ON operation (datasource_key(datasource_id), requested_at DESC, operation_id DESC);
