-- Where the audit stream starts again after a connection broke: the events its receiver may not
-- have read. Kept with the cursor, so that whichever replica delivers next sends them again (in
-- memory only, they were lost when another replica took the lease over).
ALTER TABLE audit_stream_cursor ADD COLUMN resend_seq bigint, ADD COLUMN resend_hash char(64),
    ADD CONSTRAINT ck_audit_stream_cursor_resend CHECK ((resend_seq IS NULL) = (resend_hash IS NULL) AND resend_seq >= 0);

COMMENT ON COLUMN audit_stream_cursor.resend_seq IS
    'After a connection broke: events after this seq, up to seq, are sent again (the receiver may not have read them); null when none are';
COMMENT ON COLUMN audit_stream_cursor.resend_hash IS 'The hash of the event at resend_seq';
