-- Part 3 of the benchmark: an audit trail of :rows operations (psql -v rows=1000000), in one
-- INSERT ... SELECT so that it takes seconds, not minutes. Adapt this file, and only this one, when
-- the schema changes (e.g. an integrity chain that must be filled alongside each row).
--
-- Shape, chosen so that the three filtered queries of run.sh have realistic selectivity:
--   * 9,973 datasources 'ds-<n>' (about 100 operations each), 17 principals 'svc-<n>';
--   * spread evenly over 2025 (one every 31.5 s for 1,000,000 rows), newest last (requested_at
--     follows the row number), so that a one-week window holds data whatever the row count;
--   * every 5th a reversal (no account, catalog, schema, table), the rest migrations;
--   * states: 90% COMPLETE, 4% INCOMPLETE, 3% ABORTED, 2% FAILED, 1% UNKNOWN, and the newest 10
--     rows PENDING (at most one in flight per datasource: they fall on 10 distinct datasources).
-- The moduli are pairwise coprime so that datasource, principal and state do not correlate.
-- The append-only triggers guard UPDATE/DELETE/TRUNCATE only; this INSERT writes final rows.

\set ON_ERROR_STOP on

INSERT INTO operation (operation_id, direction, datasource_id, account_id, catalog_name, schema_name,
                       table_name, requested_by, auth_method, request_id, client_address, requested_at,
                       state, toe, start_time, end_time, error_message, upstream_status, duration_ms,
                       completed_at, reconciled_state, reconciled_at, reconciliation_note)
SELECT gen_random_uuid(),
       s.direction,
       'ds-' || (i % 9973),
       CASE WHEN s.direction = 'V1_TO_V2' THEN (1 + i % 7)::text END,
       CASE WHEN s.direction = 'V1_TO_V2' THEN 'Catalog' || (i % 11) END,
       CASE WHEN s.direction = 'V1_TO_V2' THEN 'Schema' || (i % 13) END,
       CASE WHEN s.direction = 'V1_TO_V2' THEN 'Table' || (i % 9973) END,
       'svc-' || (i % 17),
       CASE WHEN i % 3 = 0 THEN 'jwt' ELSE 'api-key' END,
       md5(i::text),
       '10.0.' || (i % 256) || '.' || (i % 251),
       s.requested_at,
       s.state,
       CASE WHEN s.state NOT IN ('PENDING', 'UNKNOWN') THEN 'SEED-' || i END,
       CASE WHEN s.state IN ('COMPLETE', 'INCOMPLETE', 'ABORTED') THEN to_char(s.requested_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
       CASE WHEN s.state IN ('COMPLETE', 'INCOMPLETE', 'ABORTED') THEN to_char(s.requested_at + interval '2 s', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
       CASE s.state WHEN 'INCOMPLETE' THEN 'Table copy failed after the switch'
                    WHEN 'ABORTED' THEN 'Source table not found'
                    WHEN 'FAILED' THEN 'Domo answered 500'
                    WHEN 'UNKNOWN' THEN 'Domo did not answer within 120 s' END,
       CASE s.state WHEN 'FAILED' THEN 500 WHEN 'UNKNOWN' THEN NULL WHEN 'PENDING' THEN NULL ELSE 200 END,
       CASE WHEN s.state <> 'PENDING' THEN 1500 + i % 1000 END,
       CASE WHEN s.state <> 'PENDING' THEN s.requested_at + interval '2 s' END,
       -- UNKNOWN rows are seeded as reconciled: one unresolved operation would lock its datasource.
       CASE WHEN s.state = 'UNKNOWN' THEN 'COMPLETE' END,
       CASE WHEN s.state = 'UNKNOWN' THEN s.requested_at + interval '5 min' END,
       CASE WHEN s.state = 'UNKNOWN' THEN 'seeded' END
FROM generate_series(1, :rows) AS g(i)
CROSS JOIN LATERAL (
    SELECT CASE WHEN i % 5 = 0 THEN 'V2_TO_V1' ELSE 'V1_TO_V2' END AS direction,
           timestamptz '2025-01-01 00:00:00+00' + (i * (31536000.0 / :rows)) * interval '1 s' AS requested_at,
           CASE WHEN i > :rows - 10 THEN 'PENDING'
                WHEN i % 100 = 0 THEN 'UNKNOWN'
                WHEN i % 100 < 3 THEN 'FAILED'
                WHEN i % 100 < 6 THEN 'ABORTED'
                WHEN i % 100 < 10 THEN 'INCOMPLETE'
                ELSE 'COMPLETE' END AS state
) AS s;

-- What autovacuum would have done to a table that grew over a year: hint bits, visibility map and
-- statistics, so that the first queries do not pay for the bulk load.
VACUUM (ANALYZE) operation;
