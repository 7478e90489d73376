-- A gateway's 502 or 504 in front of Domo is now recorded UNKNOWN (the gateway got no answer from
-- Domo in time), with its status: the column comments say so. Rows recorded FAILED on such a status
-- before stay as they are; the service counts them as operations that may have taken effect.
COMMENT ON COLUMN operation.state IS
    'PENDING until the outcome is known; COMPLETE/INCOMPLETE/ABORTED as Domo reported; FAILED (no Domo result); UNKNOWN (no answer in time, or a gateway''s 502/504)';
COMMENT ON COLUMN operation.upstream_status IS
    'HTTP status Domo answered with (for UNKNOWN, its gateway''s 502 or 504); NULL when no answer came';
