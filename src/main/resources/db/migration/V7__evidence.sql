-- Evidence for an outside auditor: signed checkpoints of the hash chain, and the cursor of the
-- audit stream to the SIEM.

-- A checkpoint is the service's signed statement "the chain had this hash at this seq". The
-- signing key lives outside the database, so whoever controls the database can neither recompute
-- the chain after a change nor cut its newest events off without every later checkpoint failing.
-- Each checkpoint is also written to PROXY_AUDIT_CHECKPOINT_DIR and recorded as a CHECKPOINT event
-- in the chain (which the audit stream delivers to the SIEM).
CREATE TABLE audit_checkpoint (
    id        bigint      GENERATED ALWAYS AS IDENTITY,
    origin    text        NOT NULL,
    seq       bigint      NOT NULL,
    hash      char(64)    NOT NULL,
    issued_at timestamptz NOT NULL,
    key_id    text        NOT NULL,
    text      text        NOT NULL,
    signature text        NOT NULL,
    CONSTRAINT pk_audit_checkpoint PRIMARY KEY (id),
    CONSTRAINT ck_audit_checkpoint_seq CHECK (seq >= 0),
    CONSTRAINT ck_audit_checkpoint_hash CHECK (hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_audit_checkpoint_key_id CHECK (key_id ~ '^[0-9a-f]{16}$')
);
CREATE INDEX ix_audit_checkpoint_seq ON audit_checkpoint (seq, id);

COMMENT ON TABLE audit_checkpoint IS
    'Signed checkpoints of the audit hash chain (Ed25519, key outside the database). Append-only.';
COMMENT ON COLUMN audit_checkpoint.seq IS 'The last chain event the checkpoint covers (0: the empty chain)';
COMMENT ON COLUMN audit_checkpoint.hash IS 'audit_event.hash at seq, as signed';
COMMENT ON COLUMN audit_checkpoint.key_id IS 'First 16 hex digits of sha256 of the signing key''s public key (SubjectPublicKeyInfo DER)';
COMMENT ON COLUMN audit_checkpoint.text IS 'The canonical signed text (docs/audit.md): origin, seq, hash, issued-at, key-id, one per line';
COMMENT ON COLUMN audit_checkpoint.signature IS 'Base64 Ed25519 signature over the UTF-8 bytes of text';

CREATE TRIGGER trg_audit_checkpoint_forbid_update BEFORE UPDATE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER trg_audit_checkpoint_forbid_delete BEFORE DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_forbid_change();
CREATE TRIGGER trg_audit_checkpoint_forbid_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_forbid_change();

-- Where the audit stream to the SIEM stands (one row). Not audit data: delivery state, moved
-- forward as the receiver takes events, and leased to one replica at a time.
CREATE TABLE audit_stream_cursor (
    id           smallint    NOT NULL DEFAULT 1,
    seq          bigint      NOT NULL,
    hash         char(64)    NOT NULL,
    delivered_at timestamptz,
    holder       text,
    lease_until  timestamptz,
    CONSTRAINT pk_audit_stream_cursor PRIMARY KEY (id),
    CONSTRAINT ck_audit_stream_cursor_single CHECK (id = 1),
    CONSTRAINT ck_audit_stream_cursor_seq CHECK (seq >= 0)
);
INSERT INTO audit_stream_cursor (id, seq, hash) VALUES (1, 0, repeat('0', 64));

COMMENT ON TABLE audit_stream_cursor IS
    'The audit stream to the SIEM: the last chain event the syslog receiver took, and which replica delivers';
COMMENT ON COLUMN audit_stream_cursor.seq IS 'Every event up to this seq was delivered (at least once); delivery resumes after it';
COMMENT ON COLUMN audit_stream_cursor.holder IS 'The replica that delivers while its lease lasts';
COMMENT ON COLUMN audit_stream_cursor.lease_until IS 'Another replica takes over when this has passed';
