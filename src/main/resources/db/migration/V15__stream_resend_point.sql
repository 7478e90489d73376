-- Where the audit stream starts again after a connection broke: the events its receiver may not
-- have read. Kept with the cursor, so that whichever replica delivers next sends them again (in
-- memory only, they were lost when another replica took the lease over). It counts only while the
-- cursor stands where it stood when the point was kept (resend_for_seq): a release before this one
-- moves the cursor without knowing of it, and a point left behind would send days of events again.
ALTER TABLE audit_stream_cursor ADD COLUMN resend_seq bigint, ADD COLUMN resend_hash char(64),
    ADD COLUMN resend_for_seq bigint,
    ADD CONSTRAINT ck_audit_stream_cursor_resend CHECK ((resend_seq IS NULL) = (resend_hash IS NULL)
        AND (resend_seq IS NULL) = (resend_for_seq IS NULL) AND resend_seq >= 0);

COMMENT ON COLUMN audit_stream_cursor.resend_seq IS
    'After a connection broke: events after this seq, up to seq, are sent again (the receiver may not have read them); null when none are';
COMMENT ON COLUMN audit_stream_cursor.resend_hash IS 'The hash of the event at resend_seq';
COMMENT ON COLUMN audit_stream_cursor.resend_for_seq IS
    'The cursor''s seq when resend_seq was kept: the point counts only while seq is still this';
