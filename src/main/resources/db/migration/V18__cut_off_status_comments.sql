-- An answer Domo began and that was cut off (the connection broke, or it passed DOMO_MAX_RESPONSE_SIZE)
-- is now recorded UNKNOWN with the status it began with, as a success answer without a result already
-- was: the column comment says so. Rows recorded before keep NULL for such an answer.
COMMENT ON COLUMN operation.upstream_status IS
    'HTTP status Domo answered with: for UNKNOWN, its gateway''s 502, 504, 520, 524 or 598, or Domo''s own answer that gave no result (cut off, no body, no known state); NULL when no answer came';
