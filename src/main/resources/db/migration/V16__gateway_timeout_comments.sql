-- A CDN's or proxy's answer that it got none from Domo in time (Cloudflare's 520 and 524, a proxy's
-- 598) is now recorded UNKNOWN, like a gateway's 502 or 504: the column comments say so.
-- Rows recorded FAILED on such a status before stay as they are; the service counts them, like any
-- FAILED on a 5xx, as operations that may have taken effect.
COMMENT ON COLUMN operation.state IS
    'PENDING until the outcome is known; COMPLETE/INCOMPLETE/ABORTED as Domo reported; FAILED (no Domo result); UNKNOWN (no answer in time, or a gateway''s 502, 504, 520, 524 or 598)';
COMMENT ON COLUMN operation.upstream_status IS
    'HTTP status Domo answered with (for UNKNOWN, its gateway''s 502, 504, 520, 524 or 598); NULL when no answer came';
