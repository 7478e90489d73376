-- A key whose request was given up without an answer to keep (nothing recorded, or Domo certainly did
-- nothing with it) stays with its fingerprint instead of being deleted: a repeat of the same request
-- runs again, and another request with the key is still refused with 422 (docs/api.md, Idempotency-Key).
ALTER TABLE idempotency_key ADD COLUMN released_at timestamptz;

COMMENT ON COLUMN idempotency_key.released_at IS 'When its request was given up without an answer to keep: a repeat of the same request runs again; NULL while claimed or answered';
